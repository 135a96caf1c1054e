"""Inboxes the pull reads from, through fsspec: a local folder (the default, settings.inbox_url) or
an SFTP server (`sftp://user@host:port/path`, sshfs). Options such as `client_keys` and
`known_hosts` come from `settings.inbox_options`.

    open_source(url: str, options: dict | None = None) -> Source
    Source.list() -> Listing                      # regular files with spec names, and rejected entries
    Source.fetch(meta: FileName) -> bytes
    Source.mark_processed(meta: FileName, sha256: str) -> None   # moved to <folder>/processed/

Only regular files are read. Anything else in the inbox (a symbolic link, wherever it points, a
directory, a FIFO, an entry outside the known folders) is listed as rejected and never followed or
read; so is a regular file whose name matches no spec pattern. A file is moved only after the
transaction that recorded it commits; a crash in between leaves it in place, and the next pull finds
it a duplicate and moves it then.

Errors: `SourceError` when the inbox itself cannot be reached; `EntryError` when one listed entry
cannot be read or moved while the inbox still answers (the pull records it and goes on).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import fsspec

from tasks.inbox import FileName, parse_name
from tasks.inbox_kinds import FOLDERS

PROCESSED = "processed"


class SourceError(Exception):
    """The inbox could not be reached or read (network, permissions, missing folder)."""


class EntryError(Exception):
    """One entry of a reachable inbox could not be read or moved aside."""


@dataclass(frozen=True)
class Rejected:
    """An inbox entry that is not read: its folder ('' for the inbox's top), name and why."""

    folder: str
    name: str
    reason: str
    regular_file: bool  # a regular file with a name outside the spec (else: not a regular file)


@dataclass
class Listing:
    files: list[FileName] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def redact(url: str) -> str:
    """The URL without a password, for logs and the source_attempts table."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def entry_type(entry: dict) -> str:
    """file, directory, link or other, from an fsspec listing entry without following links
    (the local filesystem marks links `islink`; sshfs lists them as type `link`)."""
    if entry.get("islink") or entry.get("type") == "link":
        return "link"
    kind = entry.get("type")
    return kind if kind in ("file", "directory") else "other"


_NOT_READ = {
    "link": "is a symbolic link: links are never followed; not read",
    "directory": "is a directory: only files are read; not read",
    "other": "is not a regular file (a FIFO, socket or device); not read",
}


class Source:
    def __init__(self, url: str, options: dict | None = None):
        self.url = url
        self.label = redact(url)
        self.options = dict(options or {})
        self._fs = None
        self._root = None

    def _connect(self):
        if self._fs is None:
            try:
                # a fresh instance: fsspec's cached one may hold a connection that was dropped
                self._fs, self._root = fsspec.core.url_to_fs(
                    self.url, skip_instance_cache=True, **self.options)
            except Exception as e:  # noqa: BLE001 - any failure to connect is "unreachable"
                raise SourceError(f"cannot connect to {self.label}: {type(e).__name__}: {e}") from None
        return self._fs, self._root

    def _path(self, *parts: str) -> str:
        return posixpath.join(self._root, *parts)

    def list(self) -> Listing:
        fs, root = self._connect()
        try:
            if not fs.isdir(root):
                raise SourceError(f"inbox {self.label} does not exist or is not a folder")
            listing = Listing()
            for entry in fs.ls(root, detail=True):
                name = posixpath.basename(entry["name"].rstrip("/"))
                kind = entry_type(entry)
                if name in FOLDERS and kind == "directory":
                    self._list_folder(fs, name, listing)
                elif name in FOLDERS:
                    listing.rejected.append(Rejected("", name, _NOT_READ[kind], False))
                else:
                    why = f"is not a folder of the inbox ({', '.join(FOLDERS)}); not read"
                    listing.rejected.append(Rejected("", name, why, kind == "file"))
        except SourceError:
            raise
        except Exception as e:  # noqa: BLE001
            self._fs = None  # reconnect next time
            raise SourceError(f"cannot list {self.label}: {type(e).__name__}: {e}") from None
        listing.files.sort(key=lambda m: m.sort_key)
        listing.rejected.sort(key=lambda r: (r.folder, r.name))
        return listing

    def _list_folder(self, fs, folder: str, listing: Listing) -> None:
        for entry in fs.ls(self._path(folder), detail=True):
            name = posixpath.basename(entry["name"].rstrip("/"))
            kind = entry_type(entry)
            if kind == "directory" and name == PROCESSED:
                continue
            meta = parse_name(folder, name)
            if kind != "file":
                listing.rejected.append(Rejected(folder, name, _NOT_READ[kind], False))
            elif meta is None:
                why = f"file name does not match the spec for {folder}/; not read"
                listing.rejected.append(Rejected(folder, name, why, True))
            else:
                listing.files.append(meta)

    def _failed(self, action: str, meta: FileName, e: Exception) -> Exception:
        """The error to raise after `action` failed on one entry: EntryError when the inbox still
        answers on a fresh connection, SourceError when it does not."""
        self._fs = None
        what = f"cannot {action} {meta.folder}/{meta.name}: {type(e).__name__}: {e}"
        try:
            fs, root = self._connect()
            reachable = fs.isdir(root)
        except Exception:  # noqa: BLE001
            reachable = False
        return EntryError(what) if reachable else SourceError(f"{what} ({self.label} does not answer)")

    def _attempt(self, action: str, meta: FileName, op):
        """`op(fs)`, tried again once on a fresh connection (one may have dropped mid-pull)."""
        for last in (False, True):
            fs, _ = self._connect()
            try:
                return op(fs)
            except FileNotFoundError:
                raise
            except Exception as e:  # noqa: BLE001
                error = self._failed(action, meta, e)
                if last or isinstance(error, SourceError):
                    raise error from None
        raise AssertionError("unreachable")

    def fetch(self, meta: FileName) -> bytes:
        return self._attempt("read", meta, lambda fs: fs.cat_file(self._path(meta.folder, meta.name)))

    def mark_processed(self, meta: FileName, sha256: str) -> None:
        """Move the file into <folder>/processed/ (suffixed with its hash if the name is there already)."""

        def move(fs) -> None:
            target_dir = self._path(meta.folder, PROCESSED)
            fs.makedirs(target_dir, exist_ok=True)
            target = posixpath.join(target_dir, meta.name)
            if fs.exists(target):
                target = f"{target}.{sha256[:12]}"
            fs.mv(self._path(meta.folder, meta.name), target)

        self._attempt("move aside", meta, move)


def open_source(url: str, options: dict | None = None) -> Source:
    return Source(url, options)
