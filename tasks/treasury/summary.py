"""The treasury's part of the operations summary (tasks/render/operations.py): chain balances.

    chain_balance_rows(con) -> list[dict]   # per source: last covered day, expected and received to
                                            # date, balance (positive: the chain owes us)
    markdown_lines(rows) -> list[str]       # the same for the Prefect artifact
    csv_rows(rows) -> list[tuple]           # (section, key, detail, count, amount) rows of the CSV
"""

from __future__ import annotations

import duckdb


def chain_balance_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """From the last reconciliation's chain_balances (v_chain_balances)."""
    rows = con.execute("""
        select source, max(day), sum(expected), sum(received), arg_max(balance, day)
        from v_chain_balances group by source
        order by case source when 'SEJ' then 1 when 'FM' then 2 when 'CVS' then 3 else 4 end, source
        """).fetchall()
    return [{"source": s, "day": f"{d:%Y-%m-%d}", "expected": int(e), "received": int(r), "balance": int(b)}
            for s, d, e, r, b in rows]


def markdown_lines(rows: list[dict]) -> list[str]:
    out = ["", "## Chain balances (expected − received; positive: the chain owes us)", ""]
    if not rows:
        return out + ["None."]
    out += ["| source | last bank day | expected | received | balance |",
            "| --- | --- | ---: | ---: | ---: |"]
    return out + [f"| {r['source']} | {r['day']} | {r['expected']:,} | {r['received']:,} | {r['balance']:,} |"
                  for r in rows]


def csv_rows(rows: list[dict]) -> list[tuple]:
    return [("chain_balance", r["source"], f"after {r['day']}", None, r["balance"]) for r in rows]
