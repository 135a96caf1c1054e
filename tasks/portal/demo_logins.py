"""The demo's web logins (issue 16.6): one merchant user and one operator, with fresh passwords,
so a newcomer can open the 管理画面 right after `konbini demo`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from tasks import clock
from tasks.portal import accounts
from tasks.portal.state import connect
from tasks.settings import Settings
from tasks.warehouse import Warehouse

OPERATOR = "demo-operator"
MERCHANT_USER = "demo-merchant"
URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    merchant_id: str | None


def _password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters


def demo_logins(settings: Settings) -> list[Login]:
    """Create (or give a new password to) the demo's two users; the merchant user belongs to the
    first merchant of the current master data."""
    with Warehouse(settings.warehouse_path).read() as con:
        row = con.execute("select min(merchant_id) from current_merchants").fetchone()
    merchant_id = row[0] if row else None
    with connect(settings) as con:
        existing = {r[0] for r in con.execute("select username from users")}
    logins = [Login(OPERATOR, _password(), "operator", None)]
    if merchant_id:
        logins.append(Login(MERCHANT_USER, _password(), "merchant", merchant_id))
    for login in logins:
        if login.username in existing:
            accounts.reset_password(settings, login.username, login.password)
        else:
            accounts.add_user(settings, login.username, login.role, login.merchant_id, login.password,
                              clock.now())
    return logins


def demo_logins_text(settings: Settings) -> str:
    """What the demo prints at its end: the URL to open and the two logins."""
    lines = [f"Web 管理画面: run `konbini web`, then open {URL}"]
    for login in demo_logins(settings):
        who = f"merchant {login.merchant_id}" if login.merchant_id else "operator"
        lines.append(f"  {who}: user {login.username}  password {login.password}")
    return "\n".join(lines)
