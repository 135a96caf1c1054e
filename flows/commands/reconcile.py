"""`konbini reconcile` and `konbini exceptions list|show|resolve`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import cell as _fmt
from flows.commands.options import time_option as _time
from tasks import clock

out = Console()


def register(app: typer.Typer) -> None:
    @app.command("reconcile")
    def reconcile_cmd(
        as_of: str = typer.Option(None, help="As of this time (JST; default now), e.g. 2026-11-20."),
        merchant: str = typer.Option(None, help="Only this merchant's orders and payments."),
        since: str = typer.Option(None, help="Only keys with facts from this time (JST) …"),
        until: str = typer.Option(None, help="… up to this time (JST; default --as-of)."),
        full: bool = typer.Option(False, "--full", help="Recompute everything from scratch."),
    ) -> None:
        """Recompute payments, order statuses and exceptions (a Prefect flow run)."""
        from flows.reconcile import reconcile

        summary = reconcile(as_of=_time(as_of, "--as-of"), merchant=merchant,
                            since=_time(since, "--since"), until=_time(until, "--until"), full=full)
        out.print(f"run {summary['run_id']} ({summary['scope']}): {summary['orders']} orders, "
                  f"{summary['payments']} payments, {summary['exceptions']} exceptions recomputed; "
                  f"{summary['open_exceptions']} open exceptions")
        out.print("orders by status: " + ", ".join(f"{k} {v}" for k, v in summary["status_counts"].items()))

    group = typer.Typer(help="Reconciliation exceptions: list, show, resolve.", no_args_is_help=True)
    app.add_typer(group, name="exceptions")

    @group.command("list")
    def list_cmd(
        state: str = typer.Option(None, help="open, cleared or resolved."),
        code: str = typer.Option(None, help="Only this code, e.g. DUPLICATE_PAYMENT."),
        merchant: str = typer.Option(None, help="Only this merchant (M + 6 digits)."),
    ) -> None:
        """List exceptions of the last reconciliation, oldest first."""
        from tasks.reconcile.resolutions import list_exceptions
        from tasks.warehouse import open_warehouse

        with open_warehouse().read() as con:
            df = list_exceptions(con, state, code, merchant)
        table = Table(title=f"exceptions ({df.height})")
        for c in df.columns:
            table.add_column(c.replace("_", " "), no_wrap=c == "id")
        for row in df.iter_rows():
            table.add_row(*map(_fmt, row))
        Console(width=max(out.width, 200)).print(table)

    @group.command("show")
    def show_cmd(exception_id: str = typer.Argument(..., help="The exception id (EX + 12 hex).")) -> None:
        """Everything about one exception: its rule, payment and resolution."""
        from tasks.reconcile.resolutions import show_exception
        from tasks.warehouse import open_warehouse

        with open_warehouse().read() as con:
            info = show_exception(con, exception_id)
        table = Table(show_header=False)
        table.add_column("field")
        table.add_column("value")
        for k, v in info.items():
            table.add_row(k, _fmt(v))
        out.print(table)

    @group.command("resolve")
    def resolve_cmd(
        exception_id: str = typer.Argument(..., help="The exception id (EX + 12 hex)."),
        action: str = typer.Option(..., help="release, refund or dismiss."),
        note: str = typer.Option(..., help="Why (kept with the resolution)."),
        by: str = typer.Option(None, help="Who decides (default: the login name)."),
        as_of: str = typer.Option(None, help="Time of the decision (JST; default now)."),
    ) -> None:
        """Resolve an exception: release (settle it), refund (never settle it) or dismiss."""
        from tasks.reconcile.resolutions import operator_name, resolve
        from tasks.warehouse import open_warehouse

        at = _time(as_of, "--as-of")
        wh = open_warehouse()
        with wh.write() as con:  # "now" once the lock is held: never behind a run that committed meanwhile
            r = resolve(con, exception_id, action, note, by or operator_name(), at or clock.now())
        wh.publish()
        out.print(f"{r.exception_id} ({r.code}): {r.action} by {r.resolved_by} at {_fmt(r.resolved_at)}")
