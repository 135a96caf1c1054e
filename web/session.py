"""Login, sessions and CSRF for the pages of people (管理画面, console): FastAPI dependencies.

Kept apart from the app so the order API (bearer keys) and the payment page (public by token)
never depend on it. The rules live in tasks/portal (accounts, sessions, audit).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from tasks import clock
from tasks.portal import audit, sessions
from tasks.portal.accounts import User
from tasks.portal.sessions import Session

COOKIE = "konbini_session"


class LoginRequired(Exception):
    """No live session: the browser is sent to the login page."""


class CsrfRefused(Exception):
    """A state-changing form without the session's CSRF token."""


class NotFound(Exception):
    """An object that does not exist or belongs to another merchant: the same 404."""


def now_s() -> float:
    return time.time()


def now_jst() -> datetime:
    return clock.now()


def address(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_session(request: Request) -> Session:
    s = sessions.resume(request.app.state.settings, request.cookies.get(COOKIE), now_s())
    if s is None:
        raise LoginRequired()
    request.state.session = s
    return s


def current_user(session: Annotated[Session, Depends(current_session)]) -> User:
    return session.user


def operator(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_operator:
        raise NotFound()
    return user


async def checked_form(request: Request, session: Annotated[Session, Depends(current_session)]) -> dict:
    """The posted form, once its CSRF token matched the session's (else CsrfRefused)."""
    form = await request.form()
    if not sessions.csrf_ok(session, form.get("csrf_token")):
        raise CsrfRefused()
    return {k: v for k, v in form.items() if k != "csrf_token"}


UserDep = Annotated[User, Depends(current_user)]
OperatorDep = Annotated[User, Depends(operator)]
FormDep = Annotated[dict, Depends(checked_form)]


def log(request: Request, user: User | str | None, action: str, detail: str) -> None:
    name = user.username if isinstance(user, User) else user
    audit.record(request.app.state.settings, now_jst(), name, action, detail, address(request))


def set_cookie(response: RedirectResponse, session_id: str) -> None:
    response.set_cookie(COOKIE, session_id, max_age=sessions.MAX_S, path="/", secure=True,
                        httponly=True, samesite="lax")
