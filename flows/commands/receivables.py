"""`konbini receivables`: what terminated merchants owe us (treasury.md): list, match, 請求書."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import as_of_option, cell, print_table
from tasks.errors import KonbiniError

out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Receivables: what terminated merchants owe us.", no_args_is_help=True)
    app.add_typer(group, name="receivables")

    @group.command("list")
    def list_cmd(state: str = typer.Option(None, help="open or paid (default: both).")) -> None:
        """Receivables with their state."""
        from tasks.treasury.receivables import listing
        from tasks.warehouse import open_warehouse

        if state not in (None, "open", "paid"):
            raise KonbiniError(f"--state {state!r}: must be open or paid")
        with open_warehouse().read() as con:
            rows = listing(con, state)
        table = Table(title=f"receivables ({len(rows)})")
        for c in ("receivable", "merchant", "settlement", "amount", "raised at", "state", "paid at"):
            table.add_column(c, no_wrap=True)
        for r in rows:
            table.add_row(r["receivable_id"], r["merchant_id"], r["settlement_id"], f"{r['amount']:,}",
                          cell(r["raised_at"]), r["state"], cell(r["paid_at"]))
        print_table(out, table)

    @group.command("match")
    def match_cmd(
        receivable_id: str = typer.Argument(..., help="The open receivable, e.g. RC-M000001-20261101."),
        bank_record: str = typer.Option(
            ..., help="The incoming bank record that paid it: 勘定日/照会番号, e.g. 2026-12-01/000042."),
        as_of: str = typer.Option(None, help="Time of the decision (JST); default now."),
        by: str = typer.Option(None, help="Who decides (default: the login name)."),
    ) -> None:
        """Match a received transfer to an open receivable (same amount)."""
        from tasks.treasury.receivables import match
        from tasks.warehouse import open_warehouse

        with open_warehouse().write() as con:
            r = match(con, receivable_id, bank_record, by or getpass.getuser(), as_of_option(as_of))
        out.print(f"receivable {r.receivable_id} of {r.merchant_id} ({r.amount:,} yen) paid by {bank_record}")

    @group.command("invoice")
    def invoice_cmd(
        receivable_id: str = typer.Argument(..., help="The receivable, e.g. RC-M000001-20261101."),
    ) -> None:
        """Render the receivable's 請求書 (PDF + CSV) into the merchant's reports folder."""
        from tasks.render.invoice import render_invoice
        from tasks.settings import get_settings
        from tasks.warehouse import open_warehouse

        settings = get_settings()
        with open_warehouse().read() as con:
            rendered = render_invoice(con, receivable_id, settings)
        out.print(f"請求書 {receivable_id}: {rendered.pdf_path} and {rendered.csv_path}")
