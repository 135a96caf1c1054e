"""The order rules' master-data answers remembered per published copy, for the API's batches.

The master rules (`tasks.orders.master_reasons`: an active merchant, its active site, the chain
enabled) depend only on a row's (merchant_id, site_id, chain) and on the published copy, which
changes only when a publish replaces the file. Their DuckDB query is most of a small batch's cost,
so the API asks it once per new combination and copy, and answers repeats from memory: the same
rule, the same words, never a second copy of it.

    ledger.master_answers     # one per Ledger: judge(cur, raw, quick_failures, master=…)
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from tasks.order_files import ROW, reasons_frame
from tasks.orders import master_reasons

if TYPE_CHECKING:
    from tasks.api_orders.ledger import Ledger

KEY = ("merchant_id", "site_id", "chain")
MAX_KEYS = 10_000  # requests name any site: forget everything rather than grow without bound


class MasterAnswers:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._known: dict[tuple, list[tuple[str, str]]] = {}

    def _for_copy(self) -> dict[tuple, list[tuple[str, str]]]:
        """The answers of the copy the calling thread's cursor reads (forgotten when it changes)."""
        stamp = self.ledger.stamp()
        with self._lock:
            if stamp is None or stamp != self._stamp or len(self._known) > MAX_KEYS:
                self._stamp, self._known = stamp, {}
            return self._known

    def __call__(self, con: duckdb.DuckDBPyConnection, typed: pl.DataFrame) -> pl.DataFrame:
        known = self._for_copy()
        keys = typed.select(KEY).rows()
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            frame = pl.DataFrame(missing, schema={c: typed.schema[c] for c in KEY}, orient="row")
            frame = frame.with_row_index(ROW).with_columns(pl.col(ROW).cast(typed.schema[ROW]))
            answers: dict[tuple, list[tuple[str, str]]] = {k: [] for k in missing}
            for row, field, reason in master_reasons(con, frame).iter_rows():
                answers[missing[row]].append((field, reason))
            known.update(answers)
        return reasons_frame([(row, field, reason) for row, key in zip(typed[ROW], keys, strict=True)
                              for field, reason in known[key]])
