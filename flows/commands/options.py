"""Command groups, shared options, option parsing, cell formatting and table printing: what the
command modules share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Column, Table

from tasks import clock
from tasks.errors import KonbiniError

# Options that mean the same in every command that has them.
MerchantFilter = Annotated[str | None, typer.Option("--merchant", help="Only this merchant (M + 6 digits).")]
MerchantId = Annotated[str, typer.Option("--merchant", help="Merchant id (M + 6 digits).")]


def group(app: typer.Typer, name: str, help: str) -> typer.Typer:
    """The command group `konbini NAME …` (alone, it prints its help)."""
    commands = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(commands, name=name)
    return commands


def time_option(text: str | None, option: str = "--as-of") -> datetime | None:
    """A JST datetime from `2026-11-20` or `2026-11-20T07:00` (None when not given)."""
    if text is None:
        return None
    try:
        return clock.parse_as_of(text)
    except ValueError:
        raise KonbiniError(
            f"{option} {text!r} is not a date or time (e.g. 2026-11-20 or 2026-11-20T07:00)"
        ) from None


def date_option(text: str, option: str) -> date:
    """A day from `2026-11-20`."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise KonbiniError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def month_option(text: str, option: str = "--month") -> date:
    """The first day of a month from `2026-11`."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise KonbiniError(f"{option} {text!r} is not a month (YYYY-MM)") from None


def as_of_option(text: str | None) -> datetime:
    """`--as-of`, defaulting to now (JST): only the CLI and flows read the wall clock."""
    return clock.now() if text is None else time_option(text)


def cell(value) -> str:
    """A table cell: empty for null, times to the second."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def print_table(console: Console, table: Table) -> None:
    """Print `table` so that nothing in it is cut.

    Piped or redirected, each row is one line, whatever its length (for grep and friends). In a
    terminal the table takes the terminal's width: columns marked `no_wrap` (codes, ids: what an
    operator copies) stay whole, the others wrap between words, never inside one; only when that
    is still too wide is the table wider than the terminal, and columns without a value in any
    row are left out. (Rich's own narrowing cuts words and ids alike.)
    """
    if console.is_terminal and table.row_count:  # room for what is there: no column of blanks
        table.columns = [c for c in table.columns if any(str(v).strip() for v in c.cells)]
    columns = table.columns
    chrome = 2 * len(columns) + ((len(columns) + 1) if table.box and table.show_edge else len(columns) - 1)
    least = [_longest(c, words=not c.no_wrap) for c in columns]
    most = [_longest(c, words=False) for c in columns]
    room = (console.width - chrome - sum(least)) if console.is_terminal else sum(most) - sum(least)
    growth = sum(most) - sum(least)
    for column, lo, hi in zip(columns, least, most, strict=True):
        column.overflow = "fold"  # a word longer than its column (never, by the widths below)
        column.width = hi if room >= growth else lo + (hi - lo) * max(room, 0) // growth
    # cells are data, not markup (an error text with "[...]" stays whole), and are printed unhighlighted
    Console(file=console.file, width=chrome + sum(c.width for c in columns), markup=False,
            highlight=False).print(table)


def _longest(column: Column, *, words: bool) -> int:
    """Cells of the widest line (or word) of a column, its header included."""
    texts = [str(column.header), *map(str, column.cells)]
    parts = [w for t in texts for line in t.splitlines() for w in (line.split() if words else [line])]
    return max((cell_len(p) for p in parts), default=0)
