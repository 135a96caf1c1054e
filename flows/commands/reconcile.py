"""`konbini reconcile` and `konbini exceptions list|show|resolve`.

Area modules are imported inside each command, not at the top: every command module is imported
for `konbini --help`, which must not pay for DuckDB, Polars or Prefect (docs/benchmarks.md, CLI).
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import MerchantFilter, cell, group, print_table, time_option
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
        from tasks.lookups import require_reconcile_scope
        from tasks.warehouse import open_warehouse

        when = time_option(as_of, "--as-of")  # None: the flow's own now
        since_t, until_t = time_option(since, "--since"), time_option(until, "--until")
        # arguments first: a bad one starts no flow run (the flow checks them too, for the UI's runs)
        require_reconcile_scope(open_warehouse(), merchant, since_t, until_t, options=True)

        from flows.reconcile import reconcile  # Prefect: only when the arguments are good

        summary = reconcile(as_of=when, merchant=merchant, since=since_t, until=until_t, full=full)
        out.print(f"run {summary['run_id']} ({summary['scope']}): {summary['orders']} orders, "
                  f"{summary['payments']} payments, {summary['exceptions']} exceptions recomputed; "
                  f"{summary['open_exceptions']} open exceptions", soft_wrap=True)
        out.print("orders by status: " + ", ".join(f"{k} {v}" for k, v in summary["status_counts"].items()),
                  soft_wrap=True)

    exceptions = group(app, "exceptions", "Reconciliation exceptions: list, show, resolve.")

    @exceptions.command("list")
    def list_cmd(
        state: str = typer.Option(None, help="open, cleared or resolved."),
        code: str = typer.Option(None, help="Only this code, e.g. DUPLICATE_PAYMENT."),
        merchant: MerchantFilter = None,
    ) -> None:
        """List exceptions of the last reconciliation, oldest first."""
        from tasks.lookups import require_merchant
        from tasks.reconcile.resolutions import list_exceptions
        from tasks.warehouse import open_warehouse

        with open_warehouse().read() as con:
            if merchant is not None:
                require_merchant(con, merchant, "--merchant")
            rows = list_exceptions(con, state, code, merchant)
        # the treasury's columns only when a row has them: the other exceptions are about payments
        treasury = any(r["source"] or r["bank_day"] for r in rows)
        table = Table(title=f"exceptions ({len(rows)})")
        for c in ("id", "code", "state", "merchant", "order", "chain", "reference", "amount", "sequence",
                  *(("source", "bank day") if treasury else ()), "raised at", "cleared at", "resolution"):
            table.add_column(c, no_wrap=c in ("id", "code", "merchant", "order", "reference", "sequence",
                                              "bank day"))
        for r in rows:
            sequence = f"{r['sequence_kind']} {r['sequence_no']:06d}" if r["sequence_kind"] else ""
            bank = (cell(r["source"]), cell(r["bank_day"])) if treasury else ()
            table.add_row(r["id"], r["code"], r["state"], cell(r["merchant_id"]), cell(r["order_id"]),
                          cell(r["chain"]), cell(r["payment_reference"]), cell(r["amount"]), sequence, *bank,
                          cell(r["raised_at"]), cell(r["cleared_at"]), cell(r["resolution"]))
        print_table(out, table)

    @exceptions.command("show")
    def show_cmd(exception_id: str = typer.Argument(..., help="The exception id (EX + 12 hex).")) -> None:
        """Everything about one exception: its rule, its payment beside its order, its events."""
        from tasks.lookups import require_exception
        from tasks.reconcile.resolutions import show_exception
        from tasks.warehouse import open_warehouse

        with open_warehouse().read() as con:
            info = show_exception(con, require_exception(con, exception_id, "EXCEPTION_ID"))
        about = Table(show_header=False, title=f"exception {exception_id}")
        about.add_column("field", no_wrap=True)
        about.add_column("value", overflow="fold")
        for k, v in info.items():
            if k != "events" and not k.startswith(("payment.", "order.")):
                about.add_row(k.replace("_", " "), cell(v))
        print_table(out, about)
        payment = {k.removeprefix("payment."): v for k, v in info.items() if k.startswith("payment.")}
        order = {k.removeprefix("order."): v for k, v in info.items() if k.startswith("order.")}
        if payment or order:
            side = Table(title="the payment beside its order")
            side.add_column("", no_wrap=True)
            side.add_column("payment", no_wrap=True)
            side.add_column("order", no_wrap=True)
            for label, p, o in _beside(payment, order):
                side.add_row(label, cell(p), cell(o))
            print_table(out, side)
        if info["events"]:
            events = Table(title="its events")
            for c in ("kind", "received at", "first file", "sightings"):
                events.add_column(c, no_wrap=c == "first file")
            for e in info["events"]:
                events.add_row(e["kind"], cell(e["received_at"]), e["first_file"], str(e["sightings"]))
            print_table(out, events)

    @exceptions.command("resolve")
    def resolve_cmd(
        exception_id: str = typer.Argument(..., help="The exception id (EX + 12 hex)."),
        action: str = typer.Option(..., help="release, refund or dismiss."),
        note: str = typer.Option(..., help="Why (kept with the resolution)."),
        by: str = typer.Option(None, help="Who decides (default: the login name)."),
        as_of: str = typer.Option(None, help="Time of the decision (JST; default now)."),
    ) -> None:
        """Resolve an exception: release (settle it), refund (never settle it) or dismiss."""
        from tasks.lookups import require_exception
        from tasks.reconcile.resolutions import operator_name, resolve
        from tasks.warehouse import open_warehouse

        at = time_option(as_of, "--as-of")
        wh = open_warehouse()
        with wh.write() as con:  # "now" once the lock is held: never behind a run that committed meanwhile
            require_exception(con, exception_id, "EXCEPTION_ID")
            r = resolve(con, exception_id, action, note, by or operator_name(), at or clock.now())
        wh.publish()
        out.print(f"{r.exception_id} ({r.code}): {r.action} by {r.resolved_by} at {cell(r.resolved_at)}",
                  soft_wrap=True)


# (label, payment field, order field): what an operator compares to decide.
_BESIDE = (
    ("id", "payment_id", "order_id"),
    ("amount", "amount", "amount"),
    ("date", "paid_date", "due_date"),
    ("status", "role", "status"),
)


def _beside(payment: dict, order: dict) -> list[tuple[str, object, object]]:
    """The payment's and the order's fields side by side: the paired ones first, then the rest."""
    rows = [(label, payment.get(p), order.get(o)) for label, p, o in _BESIDE]
    paired_p = {p for _, p, _ in _BESIDE}
    paired_o = {o for _, _, o in _BESIDE}
    rows += [(k.replace("_", " "), v, None) for k, v in payment.items() if k not in paired_p]
    rows += [(k.replace("_", " "), None, v) for k, v in order.items() if k not in paired_o]
    return rows
