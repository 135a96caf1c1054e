"""Accounts and sessions as portal.md says, over a real server: one answer for every failure,
lockout after 10 failures, cookie flags, new id at login, logout, expiry, CSRF, audit log."""

from __future__ import annotations

import sqlite3

from tasks.portal import audit
from tasks.portal.state import state_path

from .conftest import PASSWORD, csrf_of, login


def test_login_sets_a_secure_httponly_lax_cookie_and_lands_on_the_merchant_home(web):
    with web.client() as c:
        answer = login(c, "shop1")
        assert answer.status_code == 303 and answer.headers["location"] == "/merchants/M000001/"
        cookie = answer.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        home = c.get("/merchants/M000001/")
        assert home.status_code == 200 and "ホーム" in home.text
        assert home.headers["cache-control"] == "no-store"


def test_wrong_password_and_unknown_user_get_the_same_answer(web):
    with web.client() as c:
        wrong = login(c, "shop1", "not the password!")
        unknown = login(c, "nobody-at-all", "not the password!")
    assert wrong.status_code == unknown.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません。" in wrong.text
    strip = lambda t: t.replace('value="nobody-at-all"', "").replace('value="shop1"', "")  # noqa: E731
    assert csrf_free(strip(wrong.text)) == csrf_free(strip(unknown.text))


def csrf_free(html: str) -> str:
    token = csrf_of(html)
    return html.replace(token, "")


def test_the_11th_attempt_is_refused_even_with_the_right_password(web):
    with web.client() as c:
        for _ in range(10):
            assert login(c, "shop2", "wrong password!!").status_code == 401
        assert login(c, "shop2", PASSWORD).status_code == 401
    with web.client() as c:  # another user is not locked
        assert login(c, "shop1").status_code == 303


def test_a_new_session_id_at_login_and_logout_ends_it_on_the_server(web):
    with web.client() as c:
        login(c, "shop1")
        first = c.headers["Cookie"]
        login(c, "shop1")
        assert c.headers["Cookie"] != first
        stale = web.client()
        stale.headers["Cookie"] = first
        assert stale.get("/merchants/M000001/").status_code == 303  # the old id no longer works
        page = c.get("/merchants/M000001/")
        assert c.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
        assert c.get("/merchants/M000001/").headers["location"] == "/login"


def test_a_session_idle_for_31_minutes_or_older_than_12_hours_is_refused(web):
    for column, seconds in (("last_seen_at", 31 * 60), ("created_at", 12 * 3600 + 1)):
        with web.client() as c:
            login(c, "shop1")
            assert c.get("/merchants/M000001/").status_code == 200
            with sqlite3.connect(state_path(web.settings)) as db:
                db.execute(f"update sessions set {column} = {column} - ?", [seconds])
            answer = c.get("/merchants/M000001/")
            assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_posts_without_the_csrf_token_are_refused(web):
    with web.client() as c:
        login(c, "ops")
        assert c.post("/logout").status_code == 403
        assert c.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        assert c.get("/console/").status_code == 200  # still logged in
        # the login form itself: no token, no login
        assert c.post("/login", data={"username": "ops", "password": PASSWORD}).status_code == 403


def test_disabled_user_cannot_log_in_and_loses_its_session(web):
    from tasks.portal.accounts import disable_user

    with web.client() as c:
        login(c, "shop1")
        disable_user(web.settings, "shop1")
        assert c.get("/merchants/M000001/").status_code == 303
        assert login(c, "shop1").status_code == 401


def test_audit_log_has_every_login_failed_login_and_logout(web):
    with web.client() as c:
        login(c, "shop1", "wrong password!!")
        login(c, "shop1")
        page = c.get("/merchants/M000001/")
        c.post("/logout", data={"csrf_token": csrf_of(page.text)})
    actions = [(e.username, e.action) for e in reversed(audit.entries(web.settings))]
    assert actions == [("shop1", "login_failed"), ("shop1", "login"), ("shop1", "logout")]
    assert all(e.address == "127.0.0.1" for e in audit.entries(web.settings))
    assert all("wrong password" not in e.detail for e in audit.entries(web.settings))
