"""An operator resolves an exception on the web: the same fact as `konbini exceptions resolve`
(seen by `konbini exceptions list`), refused with the rule's reason when rules.md says no; the
audit log has the decision and every download."""

from __future__ import annotations

from tasks.portal import audit
from tasks.warehouse import Warehouse

from .conftest import csrf_of, login
from .test_users_cli import konbini


def _open(settings, code: str) -> str:
    with Warehouse(settings.warehouse_path).read() as con:
        sql = "select id from v_open_exceptions where code = ? order by id limit 1"
        return con.execute(sql, [code]).fetchone()[0]


def test_resolve_on_the_web_is_seen_by_the_cli(web):
    ex = _open(web.settings, "UNKNOWN_REFERENCE")
    with web.client() as c:
        login(c, "ops")
        page = c.get("/console/exceptions")
        token = csrf_of(page.text)
        no_note = c.post(f"/console/exceptions/{ex}/resolve", data={"csrf_token": token, "action": "refund",
                                                                    "note": " "})
        assert no_note.status_code == 422 and "a note is required" in no_note.text
        wrong = c.post(f"/console/exceptions/{ex}/resolve", data={"csrf_token": token, "action": "dismiss",
                                                                  "note": "x"})
        assert wrong.status_code == 422  # rules.md: UNKNOWN_REFERENCE holds money, dismiss does not apply
        done = c.post(f"/console/exceptions/{ex}/resolve", data={"csrf_token": token, "action": "refund",
                                                                 "note": "返金します"})
        assert done.status_code == 303
        after = c.get(done.headers["location"]).text
        assert f'id="{ex}"' not in after  # no longer open, on the very next page
    listed = konbini(web.settings, "exceptions", "list", "--state", "resolved")
    assert ex in listed.stdout and "refund" in listed.stdout, listed.stdout + listed.stderr
    actions = [(e.username, e.action, e.detail) for e in audit.entries(web.settings)]
    assert ("ops", "resolve", f"exception={ex} code=UNKNOWN_REFERENCE action=refund") in actions


def test_every_download_is_in_the_audit_log(web):
    with web.client() as c:
        login(c, "shop1")
        c.get("/merchants/M000001/downloads/collection",
              params={"start": "2026-11-03", "end": "2026-11-05", "format": "csv", "encoding": "cp932"})
        c.get("/merchants/M000001/schedule/2026-12.csv")
    downloads = [e for e in audit.entries(web.settings) if e.action == "download"]
    assert len(downloads) == 2 and all(e.username == "shop1" for e in downloads)
    assert "collection 2026-11-03..2026-11-05 csv cp932" in downloads[1].detail
    assert "schedule 2026-12 csv" in downloads[0].detail
