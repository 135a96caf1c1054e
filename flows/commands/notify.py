"""`konbini notifications …`: list the outbox, replay events, run a delivery.

Area modules are imported inside each command, not at the top: every command module is imported
for `konbini --help`, which must not pay for DuckDB, httpx or Prefect (docs/benchmarks.md, CLI).
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import MerchantFilter, as_of_option, cell, group, print_table, time_option
from tasks.errors import KonbiniError

out = Console()
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds a merchant's server has to answer.")]


def register(app: typer.Typer) -> None:
    notifications = group(app, "notifications",
                          "速報 notifications to merchants' servers: outbox, replay, delivery.")

    @notifications.command("list")
    def list_cmd(
        merchant: MerchantFilter = None,
        state: Annotated[str | None, typer.Option(
            help="Only this state: pending, delivered or dead.")] = None,
        limit: Annotated[int, typer.Option(min=1, help="At most this many events, newest first.")] = 50,
    ) -> None:
        """List notification events with their delivery state, newest first."""
        from tasks.lookups import require_merchant
        from tasks.notify.outbox import list_events
        from tasks.warehouse import open_warehouse

        with open_warehouse().read() as con:
            if merchant is not None:
                require_merchant(con, merchant, "--merchant")
            rows = list_events(con, merchant, state, limit)
        more = " (the newest: --limit for more)" if len(rows) == limit else ""
        table = Table(title=f"notifications ({len(rows)}){more}")
        columns = ("event_id", "type", "merchant_id", "order_id", "amount", "created_at", "state",
                   "attempts", "next_attempt_at", "last_status_code", "last_error")
        for c in columns:
            table.add_column(c.replace("_", " "), no_wrap=c in ("event_id", "merchant_id", "order_id"))
        for r in rows:
            next_at = r["next_attempt_at"] if r["state"] == "pending" else None
            table.add_row(*[cell(next_at if c == "next_attempt_at" else r[c]) for c in columns])
        print_table(out, table)

    @notifications.command("replay")
    def replay_cmd(
        event_id: Annotated[str | None, typer.Argument(
            help="The event to send again (its id is kept).")] = None,
        merchant: Annotated[str | None, typer.Option(help="Replay every event of this merchant …")] = None,
        since: Annotated[str | None, typer.Option(
            help="… created at or after this time (JST), e.g. 2026-11-20T07:00.")] = None,
        as_of: Annotated[str | None, typer.Option(help="The time of the replay (default: now, JST).")] = None,
        by: Annotated[str | None, typer.Option(help="Who asks for it (default: the login name).")] = None,
        send: Annotated[bool, typer.Option(
            help="Send now (--no-send: leave it to the scheduled delivery).")] = True,
        timeout_s: Timeout = 10.0,
    ) -> None:
        """Send events again with the same event id: one EVENT_ID, or --merchant with --since."""
        from tasks.lookups import require_merchant
        from tasks.notify.delivery import deliver_due
        from tasks.notify.outbox import replay
        from tasks.settings import get_settings
        from tasks.warehouse import open_warehouse

        if event_id is not None and (merchant is not None or since is not None):
            raise KonbiniError("give either an EVENT_ID or --merchant with --since, not both")
        if event_id is None and (merchant is None or since is None):
            raise KonbiniError("replay needs an EVENT_ID, or both --merchant and --since")
        when, since_t = as_of_option(as_of), time_option(since, "--since")
        settings = get_settings()
        warehouse = open_warehouse(settings)
        with warehouse.write() as con:
            if merchant is not None:
                require_merchant(con, merchant, "--merchant")
            ids = replay(con, when, by or getpass.getuser(), event_id=event_id, merchant_id=merchant,
                         since=since_t)
        if not ids:
            out.print(f"no notification of {merchant} created since {since}: nothing to replay")
            return
        out.print(f"{len(ids)} event(s) pending again")
        if send:
            summary = deliver_due(warehouse, when, settings.notify_allow_loopback, event_ids=ids,
                                  timeout_s=timeout_s)
            out.print(
                f"sent: {summary['delivered']} delivered, {summary['failed']} failed (retried by the "
                f"scheduled delivery), {summary['dead']} dead-lettered"
            )

    @notifications.command("deliver")
    def deliver_cmd(
        as_of: Annotated[str | None, typer.Option(
            help="The delivery run's time (default: now, JST).")] = None,
        timeout_s: Timeout = 10.0,
    ) -> None:
        """Run the delivery flow once (what the service schedules every minute)."""
        when = time_option(as_of)  # checked before Prefect is even imported
        from flows.notify import deliver_notifications

        summary = deliver_notifications(as_of=when, timeout_s=timeout_s)
        out.print(
            f"{summary['attempted']} attempted: {summary['delivered']} delivered, {summary['failed']} "
            f"failed, {summary['dead']} dead-lettered"
        )
