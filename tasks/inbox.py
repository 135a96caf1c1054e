"""Files arriving in the inbox: names, ordering, and how a processed file is recorded.

Every folder's file names are fixed by the spec; a name that matches none is rejected unread.
Within one pull files are processed by creation time (from the name), then folder, then sequence.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

# folder -> [(pattern, kind)]; the named groups give creation time and sequence number.
_TS = r"(?P<ts>\d{14})_(?P<seq>\d{6})"
NAME_PATTERNS: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "orders": [
        (re.compile(rf"ORDERS_{_TS}\.csv"), "ORDERS"),
        (re.compile(rf"ORDER_CANCELS_{_TS}\.csv"), "ORDER_CANCELS"),
    ],
    "sej": [
        (re.compile(rf"SEJ_01_{_TS}\.dat"), "SEJ_01"),
        (re.compile(rf"SEJ_02_{_TS}\.dat"), "SEJ_02"),
    ],
    "famima": [
        (re.compile(rf"FM_S_{_TS}\.dat"), "FM_S"),
        (re.compile(rf"FM_K_{_TS}\.dat"), "FM_K"),
    ],
    "cvs": [(re.compile(rf"CVS_{_TS}\.csv"), "CVS")],
}
FOLDERS = tuple(NAME_PATTERNS)


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
    if "/" in name or "\\" in name or ".." in name:
        return None
    for pattern, kind in NAME_PATTERNS.get(folder, []):
        m = pattern.fullmatch(name)
        if m:
            try:
                created = datetime.strptime(m["ts"], "%Y%m%d%H%M%S")
            except ValueError:
                return None
            return FileName(folder, name, kind, created, int(m["seq"]))
    return None


@dataclass(frozen=True)
class Reason:
    """Why a file or row was rejected: where (line or record number, field), what and why."""

    reason: str
    line_no: int | None = None
    field: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
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

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.content).hexdigest()


def is_duplicate(con: duckdb.DuckDBPyConnection, f: InboundFile) -> bool:
    """Same folder, name and bytes as a file already recorded: it changes nothing."""
    row = con.execute(
        "select 1 from inbound_files where folder = ? and name = ? and sha256 = ?",
        [f.meta.folder, f.meta.name, f.sha256],
    ).fetchone()
    return row is not None


def record_file(
    con: duckdb.DuckDBPyConnection,
    f: InboundFile,
    state: str,
    received_at: datetime,
    reasons: list[Reason] = (),  # type: ignore[assignment]
) -> int:
    """Insert the file (bytes kept) and its rejection reasons; returns its file_id.

    Call inside the unit of work's transaction, before inserting what the file produced.
    """
    (file_id,) = con.execute("select coalesce(max(file_id), 0) + 1 from inbound_files").fetchone()
    con.execute(
        "insert into inbound_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file_id, f.meta.folder, f.meta.name, f.meta.kind, f.meta.sequence_no,
            f.meta.created_at, f.sha256, len(f.content), f.content, received_at, state,
        ],
    )
    add_rejections(con, file_id, reasons)
    return file_id


def add_rejections(con: duckdb.DuckDBPyConnection, file_id: int, reasons) -> None:
    rows = [[file_id, r.line_no, r.field, r.value, r.reason] for r in reasons]
    if rows:
        con.executemany("insert into rejections values (?, ?, ?, ?, ?)", rows)


@dataclass
class FileOutcome:
    """What processing one inbound file did (for logs, artifacts and the CLI)."""

    name: str
    kind: str
    state: str  # accepted, quarantined, duplicate, rejected_name (the last two are not recorded)
    file_id: int | None = None
    reasons: list[Reason] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # e.g. {"orders": 11, "rejected_rows": 0}
