"""`konbini simulate`: write a realistic inbox (master data, orders, the chains' feeds) from a seed.

The simulator is imported inside the command, not at the top: every command module is imported for
`konbini --help`, which must not pay for it (docs/benchmarks.md, CLI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import date_option

out = Console()


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_command(
        start: Annotated[str, typer.Option("--start", help="first day of orders, YYYY-MM-DD (JST)")],
        days: Annotated[int, typer.Option("--days", help="days of orders")],
        orders_per_day: Annotated[int, typer.Option("--orders-per-day", help="orders placed each day")],
        seed: Annotated[int, typer.Option("--seed", help="same seed and options, same bytes")],
        merchants: Annotated[int, typer.Option("--merchants", help="number of merchants")] = 3,
        out_dir: Annotated[Path | None, typer.Option(
            "--out", help="where to write master/, inbox/ and redeliver/ (default: the data dir)"
        )] = None,
        anomaly_rate: Annotated[list[str] | None, typer.Option(
            "--anomaly-rate", help="NAME=RATE, repeatable; 0 disables (see docs/simulator.md)"
        )] = None,
    ) -> None:
        """Simulate DAYS days of orders and everything that follows: payments, 速報 and 確報 files."""
        from tasks.settings import get_settings
        from tasks.simulate.anomalies import parse_rate_options
        from tasks.simulate.run import simulate

        first = date_option(start, "--start")
        settings = get_settings()
        summary = simulate(
            out_dir or settings.data_dir, first, days, orders_per_day, seed, merchants,
            anomalies=parse_rate_options(anomaly_rate or []), settings=settings,
        )
        out.print(f"master data → {summary.master}\ninbox → {summary.inbox}")
        if summary.redeliveries:
            out.print(f"identical second deliveries (drop into the inbox after a pull) → {summary.redeliver}")
        files = Table("file kind", "files", "broken", "corrected", "redeliveries", "skipped numbers",
                      title="files written")
        for kind, n in summary.files.items():
            files.add_row(
                kind, str(n), str(summary.corrupt_files.get(kind, 0)),
                str(summary.corrected_files.get(kind, 0)),
                str(summary.redeliveries.get(kind, 0)),
                " ".join(str(s) for s in summary.skipped_numbers.get(kind, [])),
            )
        out.print(files)
        events = Table("feed kind", "events", "records", title="records in files that will be accepted")
        for key, n in summary.events.items():
            events.add_row(key, str(n), str(summary.records.get(key, 0)))
        out.print(events)
        anomalies = Table("anomaly", "count", title="anomalies injected")
        for name, n in summary.anomalies.items():
            anomalies.add_row(name, str(n))
        out.print(anomalies)
        out.print(
            f"{summary.merchants} merchants, {summary.sites} sites, {summary.order_rows} order rows "
            f"({summary.bad_order_rows} invalid), {summary.cancellations} merchant cancellations"
        )
