"""A feed file's records as the merge's statements read them (`Staged.source`, aliased `n`).

    stage(events) -> Staged        # on the pull's parse thread (tasks.feeds.merge.prepare)
    with staged.open(con): ...     # the merge's statements, each with `staged.params(...)`

DuckDB 2.x pays a fixed cost for every registered frame (register, scan set-up, unregister: about
2 ms of CPU), which is most of the merge of the usual small file (the demo's have 1–3 records).
So a file of up to SMALL records is staged as a `values` list with named parameters, and a larger
one as an Arrow table registered for the merge, whose cost no longer depends on the size. Both are
the same relation `n` (the columns of EVENT_SCHEMA, in its order), so every statement of the merge
is written once over `staged.source`, whichever it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl
import pyarrow

SMALL = 32  # records: above, a registered Arrow table costs less than binding 16 parameters a record
_REGISTERED = "_feed_file_records"


@dataclass
class Staged:
    """The events of a file with a complete identity, as the relation `n` of the merge's statements."""

    source: str  # a FROM item aliased n: the registered table's name, or a values list
    values: dict[str, Any] = field(default_factory=dict)  # the values list's parameters
    table: pyarrow.Table | None = None  # registered under the source's name while open

    def params(self, **named: Any) -> dict[str, Any]:
        """A statement's named parameters with those of the staged records."""
        return {**named, **self.values}

    @contextmanager
    def open(self, con: duckdb.DuckDBPyConnection) -> Iterator[Staged]:
        """The records readable by `con` in this block's statements."""
        if self.table is None:
            yield self
            return
        con.register(_REGISTERED, self.table)
        try:
            yield self
        finally:
            con.unregister(_REGISTERED)


def stage(events: pl.DataFrame) -> Staged:
    """`events` (EVENT_SCHEMA columns) staged for the merge, as their number says (none: a table)."""
    columns = ", ".join(events.columns)
    if events.is_empty() or events.height > SMALL:
        return Staged(f"{_REGISTERED} n", table=events.to_arrow())
    values: dict[str, Any] = {}
    rows = []
    for i, row in enumerate(events.iter_rows()):
        names = [f"v{i}_{j}" for j in range(len(row))]
        values.update(zip(names, row, strict=True))
        rows.append("(" + ", ".join(f"${name}" for name in names) + ")")
    return Staged(f"(values {', '.join(rows)}) n({columns})", values)
