"""`konbini demo`: simulate a month, run every flow on it, print what happened and where it is."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def summary_table(rows: list[tuple[str, str, str]], ended_at) -> Table:
    table = Table(title="konbini demo: what the month gave",
                  caption=f"simulated until {ended_at:%Y-%m-%d %H:%M} JST (the last morning's reports)")
    table.add_column("area")
    table.add_column("what")
    table.add_column("count", justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        verbose: bool = typer.Option(
            False, "--verbose", "-v", help="Print the flows' log lines instead of a progress bar."
        ),
        # A shorter demo for tests and benchmarks; the README's demo is the default plan.
        days: int = typer.Option(31, hidden=True),
        tail_days: int = typer.Option(16, hidden=True),
        merchants: int = typer.Option(4, hidden=True),
        orders_per_day: int = typer.Option(60, hidden=True),
    ) -> None:
        """Simulate a month for a few merchants, run every flow on it day by day, print a summary."""
        from flows import runtime
        from flows.demo import DemoPlan, run_demo
        from tasks.portal.demo_logins import demo_logins_text
        from tasks.settings import get_settings
        from tasks.simulate.run import check_arguments
        from tasks.simulate.summary import summary_rows
        from tasks.warehouse import open_warehouse

        plan = DemoPlan(days=days, tail_days=tail_days, merchants=merchants, orders_per_day=orders_per_day)
        check_arguments(plan.start, plan.days, plan.orders_per_day, plan.merchants)  # before any work
        console = Console()
        settings = get_settings()
        if verbose:
            with runtime.console_logs("INFO"):
                result = run_demo(plan, settings)
        else:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("mornings"), TimeElapsedColumn())
            with runtime.console_logs("ERROR"), Progress(*columns, console=console) as progress:
                bar = progress.add_task(f"simulating {plan.start:%B %Y}…", total=plan.mornings)

                def advance(day: date, delivered: int) -> None:
                    progress.update(bar, advance=1, description=f"simulated day {day.isoformat()}")

                result = run_demo(plan, settings, on_morning=advance)
        with open_warehouse(settings).read() as con:
            console.print(summary_table(summary_rows(con), result.ended_at))
        out = settings.out_dir
        console.print("[bold]What it wrote[/]")
        for label, path in [
            ("warehouse (pipeline)", settings.warehouse_path),
            ("warehouse copy for analysts", settings.analytics_path),
            ("simulated files", result.sim_dir),
            ("payout files (Zengin)", out / "payouts"),
            ("merchant and operations reports", out / "reports"),
            ("order rejection reports", out / "rejections"),
        ]:
            console.print(f"  {label}: {path.resolve()}")
        console.print(demo_logins_text(settings), highlight=False)  # the web's two logins (docs/web.md)
