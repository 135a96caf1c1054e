"""The demo's two logins (issue 16.6) work with the passwords it prints, also after a second run."""

from __future__ import annotations

import re

from tasks.portal.demo_logins import demo_logins_text

from .conftest import login


def test_printed_logins_let_a_newcomer_in(web):
    demo_logins_text(web.settings)  # a first demo run; the second gives new passwords
    text = demo_logins_text(web.settings)
    assert "http://127.0.0.1:8000/" in text
    found = dict(re.findall(r"user (\S+)  password (\S+)", text))
    assert set(found) == {"demo-operator", "demo-merchant"}
    with web.client() as c:
        assert login(c, "demo-merchant", found["demo-merchant"]).headers["location"] == "/merchants/M000001/"
    with web.client() as c:
        assert login(c, "demo-operator", found["demo-operator"]).headers["location"] == "/console/"
