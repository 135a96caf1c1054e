"""The `konbini` command. Each area registers its commands from flows/commands/<area>.py."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from flows.commands import COMMAND_MODULES
from tasks.errors import KonbiniError

app = typer.Typer(
    help="konbini: back office of a convenience-store payment collection agent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)

for module in COMMAND_MODULES:
    module.register(app)


def main() -> None:
    try:
        app()
    except KonbiniError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False)
        sys.exit(2)
