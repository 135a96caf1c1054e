"""What `konbini users …` does: the checks of its arguments, then the accounts' functions."""

from __future__ import annotations

from collections.abc import Callable

from tasks import clock
from tasks.errors import KonbiniError
from tasks.lookups import require_choice, require_merchant
from tasks.portal import accounts
from tasks.portal.accounts import User
from tasks.portal.state import state_path
from tasks.settings import get_settings
from tasks.warehouse import open_warehouse


def _known(username: str) -> None:
    """Refuse an unknown name before touching (or creating) the web's database."""
    settings = get_settings()
    known = state_path(settings).exists() and username in {u.username for u in accounts.list_users(settings)}
    if not known:
        raise KonbiniError(f"user {username!r}: no such user (see `konbini users list`)")


def add(username: str, role: str, merchant_id: str | None, password: Callable[[], str]) -> User:
    require_choice(role, accounts.ROLES, "--role")
    if role == "merchant":
        if merchant_id is None:
            raise KonbiniError("--merchant is required for a merchant user")
        with open_warehouse().read() as con:
            require_merchant(con, merchant_id, "--merchant")
    elif merchant_id is not None:
        raise KonbiniError("--merchant is only for merchant users: an operator sees every merchant")
    settings = get_settings()
    if state_path(settings).exists() and username in {u.username for u in accounts.list_users(settings)}:
        raise KonbiniError(f"user {username!r} already exists")
    return accounts.add_user(settings, username, role, merchant_id, password(), clock.now())


def disable(username: str) -> None:
    _known(username)
    accounts.disable_user(get_settings(), username)


def reset(username: str, password: Callable[[], str]) -> None:
    _known(username)
    accounts.reset_password(get_settings(), username, password())


def listing(role: str | None) -> list[User]:
    if role is not None:
        require_choice(role, accounts.ROLES, "--role")
    settings = get_settings()
    if not state_path(settings).exists():
        return []
    return [u for u in accounts.list_users(settings) if role is None or u.role == role]
