"""Inboxes the pull reads from, through fsspec: a local folder (the default, settings.inbox_url) or
an SFTP server (`sftp://user@host:port/path`, sshfs). Options such as `client_keys` and
`known_hosts` come from `settings.inbox_options`.

    open_source(url: str, options: dict | None = None) -> Source
    Source.list() -> Listing                      # files with spec names, and names rejected unread
    Source.fetch(meta: FileName) -> bytes
    Source.mark_processed(meta: FileName, sha256: str) -> None   # moved to <folder>/processed/

A file is moved only after the transaction that recorded it commits; a crash in between leaves
it in place, and the next pull finds it a duplicate and moves it then.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import fsspec

from tasks.inbox import FOLDERS, FileName, parse_name

PROCESSED = "processed"


class SourceError(Exception):
    """The inbox could not be reached or read (network, permissions, missing folder)."""


@dataclass
class Listing:
    files: list[FileName] = field(default_factory=list)
    bad_names: list[tuple[str, str]] = field(default_factory=list)  # (folder, name), never read


def redact(url: str) -> str:
    """The URL without a password, for logs and the source_attempts table."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


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
                self._fs, self._root = fsspec.core.url_to_fs(self.url, **self.options)
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
            for folder in FOLDERS:
                path = self._path(folder)
                if not fs.isdir(path):
                    continue
                for entry in fs.ls(path, detail=True):
                    if entry.get("type") != "file":
                        continue
                    name = posixpath.basename(entry["name"].rstrip("/"))
                    meta = parse_name(folder, name)
                    if meta is None:
                        listing.bad_names.append((folder, name))
                    else:
                        listing.files.append(meta)
        except SourceError:
            raise
        except Exception as e:  # noqa: BLE001
            self._fs = None  # reconnect next time
            raise SourceError(f"cannot list {self.label}: {type(e).__name__}: {e}") from None
        listing.files.sort(key=lambda m: m.sort_key)
        listing.bad_names.sort()
        return listing

    def fetch(self, meta: FileName) -> bytes:
        fs, _ = self._connect()
        try:
            return fs.cat_file(self._path(meta.folder, meta.name))
        except FileNotFoundError:
            raise
        except Exception as e:  # noqa: BLE001
            self._fs = None
            raise SourceError(f"cannot read {meta.folder}/{meta.name} from {self.label}: {e}") from None

    def mark_processed(self, meta: FileName, sha256: str) -> None:
        """Move the file into <folder>/processed/ (suffixed with its hash if the name is there already)."""
        fs, _ = self._connect()
        target_dir = self._path(meta.folder, PROCESSED)
        try:
            fs.makedirs(target_dir, exist_ok=True)
            target = posixpath.join(target_dir, meta.name)
            if fs.exists(target):
                target = f"{target}.{sha256[:12]}"
            fs.mv(self._path(meta.folder, meta.name), target)
        except Exception as e:  # noqa: BLE001
            self._fs = None
            raise SourceError(f"cannot move {meta.folder}/{meta.name} aside in {self.label}: {e}") from None


def open_source(url: str, options: dict | None = None) -> Source:
    return Source(url, options)
