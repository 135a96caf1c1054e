"""Files arriving in the inbox: names, ordering, and how a processed file is recorded.

Every folder's file names are fixed by the spec (the kinds are declared in tasks/inbox_kinds.py);
a name that matches none is rejected unread. Within one pull files are processed by creation time
(from the name), then folder, then sequence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb


@dataclass(frozen=True)
class FileName:
    folder: str
    name: str
    kind: str
    created_at: datetime  # JST wall clock
    sequence_no: int

    @property
    def sort_key(self) -> tuple[datetime, str, int, str]:
        return (self.created_at, self.folder, self.sequence_no, self.name)


def parse_name(folder: str, name: str) -> FileName | None:
    """The file's kind, creation time and sequence from its name; None when it matches no pattern.

    A name is never used as a path: anything with a separator or `..` matches nothing.
    """
    # imported here: the registry imports the handlers, which import this module
    from tasks.inbox_kinds import match

    if "/" in name or "\\" in name or ".." in name:
        return None
    found = match(folder, name)
    if found is None:
        return None
    kind, ts, seq = found
    try:
        created = datetime.strptime(ts, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return FileName(folder, name, kind.kind, created, int(seq))


@dataclass(frozen=True)
class Reason:
    """Why a file, row or master set was rejected: where (file of a set, line or record number,
    field), what and why."""

    reason: str
    line_no: int | None = None
    field: str | None = None
    value: str | None = None
    file: str | None = None  # the file of a set of files (master data)

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.line_no is not None:
            where.append(f"line {self.line_no}")
        if self.field:
            where.append(self.field)
        shown = f" = {self.value!r}" if self.value is not None else ""
        return f"{', '.join(where)}{shown}: {self.reason}" if where else self.reason


@dataclass
class InboundFile:
    """A file taken from the inbox, with its bytes."""

    meta: FileName
    content: bytes
    sha256: str = field(init=False)
    # its kind's `prepare`, started ahead by the pull (tasks.ingest): call it to wait for the result
    parsed: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.content).hexdigest()

    def prepared(self, prepare: Callable[[InboundFile, Any], Any], settings) -> Any:
        """What `prepare(self, settings)` gives: the pull's result when it ran it ahead, else now."""
        return self.parsed() if self.parsed is not None else prepare(self, settings)


def is_duplicate(con: duckdb.DuckDBPyConnection, f: InboundFile) -> bool:
    """Same folder, name and bytes as a file already recorded: it changes nothing."""
    return (f.meta.folder, f.meta.name, f.sha256) in recorded(con, [f.meta])


def recorded(con: duckdb.DuckDBPyConnection, files: list[FileName]) -> set[tuple[str, str, str]]:
    """(folder, name, sha256) of every recorded file named as one of `files`: `is_duplicate` asked
    once for a whole pull, which holds the writers' lock (no other process records a file meanwhile)
    and lists each (folder, name) once."""
    rows = con.execute("select folder, name, sha256 from inbound_files where name in (select unnest(?))",
                       [[m.name for m in files]]).fetchall()
    return set(rows)


# the next file's id: one more than the last, asked inside the transaction that records the file
NEXT_FILE_ID_SQL = "select coalesce(max(file_id), 0) + 1 from inbound_files"


def record_file(
    con: duckdb.DuckDBPyConnection,
    f: InboundFile,
    state: str,
    received_at: datetime,
    reasons: list[Reason] = (),  # type: ignore[assignment]
    file_id: int | None = None,
) -> int:
    """Insert the file (bytes kept) and its rejection reasons; returns its file_id.

    Call inside the unit of work's transaction, before inserting what the file produced. `file_id`:
    NEXT_FILE_ID_SQL's answer when the caller asked it already in this transaction (in a statement
    of its own checks: a statement is a fixed cost of every file); else it is asked here.
    """
    row = [f.meta.folder, f.meta.name, f.meta.kind, f.meta.sequence_no,
           f.meta.created_at, f.sha256, len(f.content), f.content, received_at, state]
    if file_id is None:  # the next id and the row in one statement
        (file_id,) = con.execute(
            f"insert into inbound_files select ({NEXT_FILE_ID_SQL}), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
            " returning file_id", row,
        ).fetchall()[0]
    else:
        con.execute("insert into inbound_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [file_id, *row])
    add_rejections(con, file_id, reasons)
    return file_id


def add_rejections(con: duckdb.DuckDBPyConnection, file_id: int, reasons) -> None:
    rows = [[file_id, r.line_no, r.field, r.value, r.reason] for r in reasons]
    if rows:
        con.executemany("insert into rejections values (?, ?, ?, ?, ?)", rows)


# outcome states an operator must look at (the CLI exits 1, the flow's run is flagged)
ATTENTION_STATES = ("quarantined", "rejected_name", "rejected_entry", "unreadable")


@dataclass
class FileOutcome:
    """What processing one inbound file did (for logs, artifacts and the CLI).

    States: accepted and quarantined (recorded by the handler); duplicate (same folder, name and
    bytes as a recorded file); rejected_name (a regular file whose name matches no spec pattern) and
    rejected_entry (a link, directory, FIFO… or an entry outside the inbox's folders), never read
    and left in place; unreadable (listed, then it could not be read: left in place, tried again next
    pull); vanished (gone between listing and reading, e.g. taken by a concurrent pull: no action).
    `not_moved` says why a processed file could not be moved aside (it stays in the inbox and is a
    duplicate next pull); `alert` is set when such a read or move has failed for 2 hours.
    """

    name: str
    kind: str
    state: str
    file_id: int | None = None
    reasons: list[Reason] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # e.g. {"orders": 11, "rejected_rows": 0}
    not_moved: str | None = None
    alert: bool = False

    @property
    def needs_attention(self) -> bool:
        return self.state in ATTENTION_STATES or self.not_moved is not None


@dataclass(frozen=True)
class RecordedFile:
    """A file as recorded (for `konbini files`): its state, records merged and every reason."""

    file_id: int
    path: str  # folder/name
    kind: str
    sequence_no: int
    created_at: datetime
    received_at: datetime
    state: str
    records: int
    reasons: list[Reason]


_RECORDS_OF_FILES = ("feed_records", "bank_records", "orders", "order_cancellations")  # each has file_id


def recorded_files(
    con: duckdb.DuckDBPyConnection, state: str | None = None, kind: str | None = None, limit: int = 50
) -> list[RecordedFile]:
    """The most recent recorded files, newest first, optionally of one state and one kind, each with
    the records the warehouse keeps from it (chains' and bank records, accepted orders or cancellations)."""
    rows = con.execute(
        """select f.file_id, f.folder || '/' || f.name, f.kind, f.sequence_no, f.created_at,
                  f.received_at, f.state
           from inbound_files f
           where ($state is null or f.state = $state) and ($kind is null or f.kind = $kind)
           order by f.file_id desc limit $limit""",
        {"state": state, "kind": kind, "limit": limit},
    ).fetchall()
    ids = {"ids": [r[0] for r in rows]}
    kept = " union all ".join(f"select file_id from {t} where file_id in (select unnest($ids))"
                              for t in _RECORDS_OF_FILES)
    records = dict(con.execute(f"select file_id, count(*) from ({kept}) group by file_id", ids).fetchall())
    reasons: dict[int, list[Reason]] = {}
    for fid, line_no, fld, value, reason in con.execute(
        "select file_id, line_no, field, value, reason from rejections"
        " where file_id in (select unnest($ids)) order by file_id, line_no nulls first",
        ids,
    ).fetchall():
        reasons.setdefault(fid, []).append(Reason(reason, line_no, fld, value))
    return [RecordedFile(*row, records.get(row[0], 0), reasons.get(row[0], [])) for row in rows]
