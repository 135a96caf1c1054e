"""The `konbini` command. Each area registers its commands from flows/commands/<area>.py.

Whatever goes wrong, the user reads one line on stderr, never a traceback: a wrong argument or a
refused action (exit code 2) names what is wrong and where; an unforeseen error (exit code 1)
names itself and the file that keeps its traceback for engineering.
"""

from __future__ import annotations

import sys
import tempfile
import traceback

import typer
from rich.console import Console
from rich.text import Text

# typer ≥ 0.29 carries its own copy of click; these are the errors it raises for a wrong command line.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from flows.commands import COMMAND_MODULES
from flows.commands.deploy import register as register_deploy
from tasks.errors import KonbiniError

USAGE = 2  # exit code of a wrong argument or a refused action (click's code for usage errors)
BUG = 1

app = typer.Typer(
    help="konbini: back office of a convenience-store payment collection agent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)

for module in COMMAND_MODULES:
    module.register(app)
register_deploy(app)


def fail(message: str, code: int) -> None:
    """One line on stderr (long ones are not wrapped: they stay one line), then exit."""
    err.print(Text.assemble(("error:", "bold red"), " ", " ".join(message.split())), soft_wrap=True)
    sys.exit(code)


def main() -> None:
    try:
        code = app(prog_name="konbini", standalone_mode=False)
    except KonbiniError as e:
        fail(str(e), USAGE)
    except NoArgsIsHelpError as e:  # `konbini exceptions` alone: its help, as click does
        e.show()
        sys.exit(e.exit_code)
    except UsageError as e:
        where = e.ctx.command_path if e.ctx else "konbini"
        fail(f"{where}: {e.format_message()} (see `{where} --help`)", USAGE)
    except ClickException as e:
        fail(e.format_message(), e.exit_code)
    except typer.Abort:
        fail("aborted", BUG)
    except Exception as e:  # unforeseen (a bug, a broken disk…): one line, the traceback kept for engineering
        with tempfile.NamedTemporaryFile("w", prefix="konbini-error-", suffix=".txt", delete=False) as fh:
            traceback.print_exc(file=fh)
        fail(f"unexpected {type(e).__name__}: {e} (traceback in {fh.name})", BUG)
    sys.exit(code if isinstance(code, int) else 0)
