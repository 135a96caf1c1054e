"""`konbini refunds`: how a refund owed to a customer is paid (treasury.md). The customer's bank
details are personal data: never printed back."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import as_of_option, cell, print_table

out = Console(soft_wrap=True)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Refunds owed to customers: list them, pay one by bank transfer.",
                        no_args_is_help=True)
    app.add_typer(group, name="refunds")

    @group.command("pay")
    def pay_cmd(
        exception_id: str = typer.Argument(..., help="The exception resolved `refund`, e.g. EX0123456789ab."),
        bank: str = typer.Option(..., help="Customer's bank code (4 digits; not 9900)."),
        branch: str = typer.Option(..., help="Branch code (3 digits)."),
        type_: str = typer.Option(..., "--type", help="Account type: 1 普通 (ordinary) or 2 当座 (current)."),
        account: str = typer.Option(..., help="Account number (7 digits)."),
        name: str = typer.Option(..., help="Account holder's name in kana (Zengin characters)."),
        as_of: str = typer.Option(None, help="Time of the instruction (JST); default now."),
        by: str = typer.Option(None, help="Who instructs (default: the login name)."),
    ) -> None:
        """Pay a refund: a transfer in the refund file of the next bank business day."""
        from tasks.settings import get_settings
        from tasks.treasury.refunds import CustomerAccount, pay, write_refund_files
        from tasks.warehouse import open_warehouse

        settings = get_settings()
        wh = open_warehouse()
        with wh.write() as con:
            r = pay(con, exception_id, CustomerAccount(bank, branch, type_, account, name), settings,
                    by or getpass.getuser(), as_of_option(as_of))
        with wh.session() as con:
            write_refund_files(con, settings.out_dir)
        out.print(f"refund of {r.exception_id}: {r.amount:,} yen, transferred on {r.transfer_date} "
                  f"({settings.out_dir / 'refunds' / r.file_name})")

    @group.command("list")
    def list_cmd() -> None:
        """Refunds owed to customers that are not instructed yet."""
        from tasks.treasury.refunds import owed
        from tasks.warehouse import open_warehouse

        with open_warehouse().read() as con:
            rows = owed(con)
        table = Table(title=f"refunds owed ({len(rows)})")
        for c in ("exception", "merchant", "amount", "decided at"):
            table.add_column(c, no_wrap=True)
        for r in rows:
            table.add_row(r["exception_id"], cell(r["merchant_id"]), f"{r['amount']:,}",
                          cell(r["decided_at"]))
        print_table(out, table)
