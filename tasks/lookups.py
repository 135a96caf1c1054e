"""Checks that an argument names something that exists, made before any work is done.

The CLI calls them before it reads or writes anything else, and the flows call them first too, so
a run started from the Prefect UI with a bad parameter fails at once with the same one-line
message instead of after its work has begun. Each check takes the argument's name as its caller
spells it (`--merchant` on the command line, `merchant` as a flow parameter): the message says
what is wrong and where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import duckdb

from tasks.errors import KonbiniError
from tasks.warehouse import Warehouse

MERCHANT_ID = re.compile(r"M[0-9]{6}")  # orders-and-master.md: `M` + 6 digits
EXCEPTION_ID = re.compile(r"EX[0-9a-f]{12}")  # tasks.reconcile.rules.exception_id


def require_choice(value: str, choices: Iterable[str], arg: str) -> str:
    """`value` is one of `choices`."""
    choices = tuple(choices)
    if value not in choices:
        raise KonbiniError(f"{arg} {value!r} is not one of {', '.join(choices)}")
    return value


def require_file_kind(kind: str, arg: str = "kind") -> str:
    """A kind of inbox file (ORDERS, SEJ_01, FM_K, CVS, …), as the registry of inbox kinds has them."""
    from tasks.inbox_kinds import BY_KIND  # here: the registry imports every handler (slow for --help)

    return require_choice(kind, BY_KIND, arg)


def require_merchant(con: duckdb.DuckDBPyConnection, merchant_id: str, arg: str = "merchant") -> str:
    """A merchant of the master data: in the current load or an earlier one (a merchant dropped from
    the master keeps its orders, settlements and reports)."""
    if not MERCHANT_ID.fullmatch(merchant_id):
        raise KonbiniError(f"{arg} {merchant_id!r} is not a merchant id (M + 6 digits)")
    found = con.execute("select count(*) from merchants where merchant_id = ?", [merchant_id]).fetchall()
    if not found[0][0]:
        raise KonbiniError(f"{arg} {merchant_id}: no such merchant in the master data "
                           "(`konbini master show` lists them)")
    return merchant_id


def require_window(since: datetime | None, until: datetime | None,
                   args: tuple[str, str] = ("since", "until")) -> None:
    """A window of time that is not empty by construction (since after until)."""
    if since is not None and until is not None and since > until:
        raise KonbiniError(f"{args[0]} {since:%Y-%m-%d %H:%M} is after {args[1]} {until:%Y-%m-%d %H:%M}")


def require_exception(con: duckdb.DuckDBPyConnection, exception_id: str, arg: str = "exception") -> str:
    """An exception raised by a reconciliation (open, cleared or resolved)."""
    if not EXCEPTION_ID.fullmatch(exception_id):
        raise KonbiniError(f"{arg} {exception_id!r} is not an exception id (EX + 12 hex digits)")
    found = con.execute("select count(*) from exceptions where exception_id = ?", [exception_id]).fetchall()
    if not found[0][0]:
        raise KonbiniError(f"{arg} {exception_id}: no such exception (`konbini exceptions list`)")
    return exception_id


def require_notification(con: duckdb.DuckDBPyConnection, event_id: str, arg: str = "event") -> str:
    """An event of the notification outbox."""
    found = con.execute("select count(*) from notification_outbox where event_id = ?", [event_id]).fetchall()
    if not found[0][0]:
        raise KonbiniError(f"{arg} {event_id!r}: no such notification event "
                           "(`konbini notifications list`)")
    return event_id


def require_reconcile_scope(
    warehouse: Warehouse, merchant: str | None, since: datetime | None, until: datetime | None,
    *, options: bool = False,
) -> None:
    """The scope of a reconciliation is a window that is not empty and a known merchant (the
    warehouse is read only for the latter). `options`: name the arguments as the command line
    spells them (`--merchant`)."""
    dash = "--" if options else ""
    require_window(since, until, (f"{dash}since", f"{dash}until"))
    if merchant is not None:
        with warehouse.read() as con:
            require_merchant(con, merchant, f"{dash}merchant")
