"""Web accounts (portal.md): merchant users and operators, argon2id passwords, lockout.

A wrong password, an unknown user, a disabled user and a locked account all give the same answer
(`authenticate` returns None), and take the same time: an unknown name is checked against a dummy
hash. 10 failures of one name in 15 minutes lock it for 15 minutes, even with the right password.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tasks.errors import KonbiniError
from tasks.portal.state import connect
from tasks.settings import Settings

MIN_PASSWORD = 12
MAX_FAILURES = 10
LOCK_WINDOW_S = 15 * 60
ROLES = ("merchant", "operator")
_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
_DUMMY = _hasher.hash("not a password of anybody")


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    role: str
    merchant_id: str | None
    disabled: bool = False

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise KonbiniError(f"password: at least {MIN_PASSWORD} characters (got {len(password)})")


def _row_user(row) -> User:
    return User(row[0], row[1], row[2], row[3], bool(row[4]))


_COLUMNS = "user_id, username, role, merchant_id, disabled"


def add_user(settings: Settings, username: str, role: str, merchant_id: str | None, password: str,
             at: datetime) -> User:
    """A new account; the caller checked that the merchant exists."""
    if role not in ROLES:
        raise KonbiniError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    if (role == "merchant") != (merchant_id is not None):
        raise KonbiniError("a merchant user needs --merchant; an operator has none")
    if not username or not username.isprintable() or " " in username:
        raise KonbiniError(f"username {username!r}: must be non-empty, without spaces")
    _check_password(password)
    with connect(settings) as con:
        try:
            con.execute("insert into users (username, role, merchant_id, password_hash, created_at)"
                        " values (?, ?, ?, ?, ?)",
                        [username, role, merchant_id, _hasher.hash(password), at.isoformat()])
        except sqlite3.IntegrityError:
            raise KonbiniError(f"user {username!r} already exists") from None
        return _row_user(con.execute(f"select {_COLUMNS} from users where username = ?",
                                     [username]).fetchone())


def _require(con: sqlite3.Connection, username: str) -> None:
    if con.execute("select 1 from users where username = ?", [username]).fetchone() is None:
        raise KonbiniError(f"user {username!r}: no such user (see `konbini users list`)")


def disable_user(settings: Settings, username: str) -> None:
    """Disable the account and end its sessions at once."""
    with connect(settings) as con:
        _require(con, username)
        con.execute("update users set disabled = 1 where username = ?", [username])
        con.execute("delete from sessions where user_id = (select user_id from users where username = ?)",
                    [username])


def reset_password(settings: Settings, username: str, password: str) -> None:
    """A new password (and no lockout left); the user's sessions end."""
    _check_password(password)
    with connect(settings) as con:
        _require(con, username)
        con.execute("update users set password_hash = ? where username = ?",
                    [_hasher.hash(password), username])
        con.execute("delete from login_failures where username = ?", [username])
        con.execute("delete from sessions where user_id = (select user_id from users where username = ?)",
                    [username])


def list_users(settings: Settings) -> list[User]:
    with connect(settings) as con:
        return [_row_user(r) for r in con.execute(f"select {_COLUMNS} from users order by username")]


def get_user(con: sqlite3.Connection, user_id: int) -> User | None:
    row = con.execute(f"select {_COLUMNS} from users where user_id = ?", [user_id]).fetchone()
    return _row_user(row) if row else None


def authenticate(settings: Settings, username: str, password: str, now: float) -> User | None:
    """The user when the password is right and the account usable; None otherwise (one answer)."""
    with connect(settings) as con:
        row = con.execute(f"select {_COLUMNS}, password_hash from users where username = ?",
                          [username]).fetchone()
        (failures,) = con.execute("select count(*) from login_failures where username = ? and at > ?",
                                  [username, now - LOCK_WINDOW_S]).fetchone()
        try:
            ok = _hasher.verify(row[5] if row else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and row and not row[4] and failures < MAX_FAILURES:
            con.execute("delete from login_failures where username = ?", [username])
            return _row_user(row)
        if not ok:  # a right password during a lock does not prolong it
            con.execute("insert into login_failures values (?, ?)", [username, now])
        con.execute("delete from login_failures where at < ?", [now - 24 * 3600])
        return None
