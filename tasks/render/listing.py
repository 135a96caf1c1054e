"""What was rendered, and how far each report's e-mail got: the list operators read
(`konbini reports list`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class Listed:
    report_id: str
    as_of: datetime
    pdf_path: str  # relative to the reports folder (tasks.render.run.out_root)
    deliveries: str  # "recipient #round state, …"; empty when never mailed


def rendered_reports(con: duckdb.DuckDBPyConnection, merchant_id: str | None = None) -> list[Listed]:
    """Every rendered report (of one merchant), by report id, with its delivery rounds."""
    rows = con.execute(
        """select o.report_id, o.as_of, o.pdf_path,
                  coalesce(string_agg(d.recipient || ' #' || d.round || ' ' || d.state, ', '
                                      order by d.round, d.recipient), '')
           from report_outputs o left join v_report_deliveries d using (report_id)
           where $m is null or o.merchant_id = $m
           group by all order by o.report_id""", {"m": merchant_id}).fetchall()
    return [Listed(*r) for r in rows]
