"""`konbini users …`: the web's accounts (portal.md), managed by operators; no self sign-up.

The password is asked for (twice) or read from KONBINI_NEW_PASSWORD; it is never an argument, so it
never shows in a process list or a shell history.
"""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import print_table

out = Console()
PASSWORD_ENV = "KONBINI_NEW_PASSWORD"


def _password() -> str:
    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        return given
    return typer.prompt("password (12 characters or more)", hide_input=True, confirmation_prompt=True)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Accounts of the web 管理画面 and console: add, disable, reset-password, list.",
                        no_args_is_help=True)
    app.add_typer(group, name="users")

    @group.command("add")
    def add_cmd(
        username: str = typer.Argument(..., help="The login name."),
        role: str = typer.Option("merchant", help="merchant (one merchant's staff) or operator."),
        merchant: str = typer.Option(None, help="The merchant of a merchant user (M + 6 digits)."),
    ) -> None:
        """Add an account; the password is prompted for (or taken from KONBINI_NEW_PASSWORD)."""
        from tasks.portal.users import add

        u = add(username, role, merchant, _password)
        where = f" of {u.merchant_id}" if u.merchant_id else ""
        out.print(f"user {u.username} added: {u.role}{where}", highlight=False)

    @group.command("disable")
    def disable_cmd(username: str = typer.Argument(..., help="The login name.")) -> None:
        """Disable an account; its sessions end at once."""
        from tasks.portal.users import disable

        disable(username)
        out.print(f"user {username} disabled", highlight=False)

    @group.command("reset-password")
    def reset_cmd(username: str = typer.Argument(..., help="The login name.")) -> None:
        """Set a new password (prompted for, or KONBINI_NEW_PASSWORD); its sessions end."""
        from tasks.portal.users import reset

        reset(username, _password)
        out.print(f"user {username}: password reset", highlight=False)

    @group.command("list")
    def list_cmd(role: str = typer.Option(None, help="Only merchant users or operators.")) -> None:
        """List the accounts."""
        from tasks.portal.users import listing

        rows = listing(role)
        table = Table(title=f"users ({len(rows)})")
        for c in ("username", "role", "merchant", "state"):
            table.add_column(c, no_wrap=True)
        for u in rows:
            table.add_row(u.username, u.role, u.merchant_id or "", "disabled" if u.disabled else "active")
        print_table(out, table)
