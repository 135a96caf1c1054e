"""`konbini payouts return`: a payout transfer that came back (振込不能・組戻し, treasury.md)."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console

from flows.commands.options import as_of_option, date_option

out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Payout transfers: record one that came back.", no_args_is_help=True)
    app.add_typer(group, name="payouts")

    @group.command("return")
    def return_cmd(
        payout_date: str = typer.Option(..., help="Payout date of the transfer that came back (YYYY-MM-DD)."),
        merchant: str = typer.Option(..., help="The merchant it was paid to, e.g. M000001."),
        reason: str = typer.Option(..., help="Why it came back (e.g. 口座なし, 名義相違)."),
        bank_record: str = typer.Option(
            ...,
            help="The incoming bank record that brought it back: 勘定日/照会番号, e.g. 2026-11-17/000123.",
        ),
        as_of: str = typer.Option(None, help="Time of the decision (JST); default now."),
        by: str = typer.Option(None, help="Who decides (default: the login name)."),
    ) -> None:
        """Record a returned payout: its money waits until the merchant's account changes, then the
        next settlement run pays it again (返却分再振込)."""
        from tasks.treasury.returns import record_return
        from tasks.warehouse import open_warehouse

        d = date_option(payout_date, "--payout-date")
        when = as_of_option(as_of)
        with open_warehouse().write() as con:
            r = record_return(con, payout_date=d, merchant_id=merchant, reason=reason,
                              bank_record=bank_record, by=by or getpass.getuser(), at=when)
        out.print(f"returned payout {r.return_id}: {r.amount:,} yen to {r.merchant_id} of {r.payout_date}; "
                  "it waits until the merchant's bank account changes, then the next settlement run "
                  "pays it again")
