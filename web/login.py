"""The login page, login and logout (portal.md: one answer for every failure, a new id at login)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from tasks.portal import accounts, sessions
from tasks.portal.accounts import User
from web.pages import page
from web.session import COOKIE, CsrfRefused, FormDep, UserDep, log, now_s, set_cookie

router = APIRouter()
FAILED = "ユーザー名またはパスワードが正しくありません。"


def home_of(user: User) -> str:
    return "/console/" if user.is_operator else f"/merchants/{user.merchant_id}/"


@router.get("/")
def root(request: Request) -> RedirectResponse:
    s = sessions.resume(request.app.state.settings, request.cookies.get(COOKIE), now_s())
    return RedirectResponse(home_of(s.user) if s else "/login", status_code=303)


LOGIN_CSRF = "konbini_login_csrf"  # the login form's own token (double submit): no session yet


def login_page(request: Request, status_code: int = 200, **context):
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html.j2", status_code, title="ログイン", login_token=token, **context)
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, path="/login", secure=True, httponly=True,
                        samesite="strict")
    return response


@router.get("/login")
def login_form(request: Request):
    return login_page(request)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form("")):
    settings = request.app.state.settings
    expected = request.cookies.get(LOGIN_CSRF)
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise CsrfRefused()
    user = accounts.authenticate(settings, username, password, now_s())
    if user is None:
        log(request, username[:64], "login_failed", "")
        return login_page(request, 401, error=FAILED, username=username)
    session_id = sessions.start(settings, user, now_s(), previous_id=request.cookies.get(COOKIE))
    log(request, user, "login", f"role={user.role} merchant={user.merchant_id or '-'}")
    response = RedirectResponse(home_of(user), status_code=303)
    set_cookie(response, session_id)
    return response


@router.post("/logout")
def logout(request: Request, form: FormDep, user: UserDep):
    sessions.end(request.app.state.settings, request.cookies.get(COOKIE))
    log(request, user, "logout", "")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response
