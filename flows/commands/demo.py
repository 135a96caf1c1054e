"""`konbini demo`: simulate a month, run every flow on it, print what happened and where it is."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

SUMMARY_QUERIES: list[tuple[str, str]] = [
    ("files", "select kind || ' ' || state, count(*) from inbound_files group by all order by 1"),
    ("order rows", "select 'orders registered', count(*) from orders union all "
                   "select 'order rows rejected', count(distinct (r.file_id, r.line_no)) from rejections r "
                   "join inbound_files f using (file_id) where f.kind = 'ORDERS' and r.line_no is not null "
                   "union all select 'cancellations', count(*) from order_cancellations"),
    ("events", "select feed || ' ' || kind, count(distinct event_id) from feed_records "
               "group by all order by 1"),
    ("order status", "select status, count(*) from v_order_status group by all order by 1"),
    ("open exceptions", "select code, count(*) from v_exceptions where state = 'open' "
                        "group by all order by 1"),
    ("settlements", "select state, count(*) || ' (net ¥' || format('{:,}', sum(net)) || ')' "
                    "from v_settlements group by all order by 1"),
    ("notifications", "select 'outbox ' || state, count(*) from notification_outbox group by all order by 1"),
]


def summary_rows(con) -> list[tuple[str, str, str]]:
    """(area, what, count) for the summary: the same inputs always give the same rows."""
    rows = []
    for area, sql in SUMMARY_QUERIES:
        for i, (what, count) in enumerate(con.execute(sql).fetchall()):
            rows.append((area if i == 0 else "", str(what), str(count)))
    return rows


def summary_table(con) -> Table:
    table = Table(title="konbini demo: what the month gave")
    table.add_column("area")
    table.add_column("what")
    table.add_column("count", justify="right")
    for row in summary_rows(con):
        table.add_row(*row)
    return table


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd() -> None:
        """Simulate a month for a few merchants, run every flow on it day by day, print a summary."""
        from flows.demo import demo
        from tasks.settings import get_settings
        from tasks.warehouse import open_warehouse

        console = Console()
        settings = get_settings()
        with console.status("simulating October 2026 and running every flow on it, day by day…"):
            demo()
        with open_warehouse(settings).read() as con:
            console.print(summary_table(con))
        out = settings.out_dir
        console.print("[bold]What it wrote[/]")
        for label, path in [
            ("warehouse (pipeline)", settings.warehouse_path),
            ("warehouse copy for analysts", settings.analytics_path),
            ("simulated files", settings.data_dir / "demo"),
            ("payout files (Zengin)", out / "payouts"),
            ("merchant and operations reports", out / "reports"),
            ("order rejection reports", out / "rejections"),
        ]:
            console.print(f"  {label}: {path.resolve()}")
