"""Arrival order never matters: generated scenarios, files (and records within files) delivered in
shuffled orders, always give the same statuses, payments and open exceptions."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.reconcile.run import reconcile
from tasks.warehouse import migrate

from .conftest import Facts, jst

CHAINS = {"seven": ("SEJ_01", "SEJ_02", 13), "famima": ("FM_S", "FM_K", 12), "lawson": ("CVS", "CVS", 11),
          "daily": ("CVS", "CVS", 11)}
AS_OF = jst(2026, 12, 31)
_TEMPLATE: dict[str, Path] = {}


def template() -> Path:
    """One migrated warehouse file, copied for every run (migrating each time would be slow)."""
    if "db" not in _TEMPLATE:
        d = Path(tempfile.mkdtemp(prefix="rc_prop_"))
        con = duckdb.connect(str(d / "template.duckdb"))
        migrate(con)
        con.close()
        _TEMPLATE["db"] = d / "template.duckdb"
    return _TEMPLATE["db"]


@st.composite
def scenarios(draw):
    orders, payments = [], []
    n_orders = draw(st.integers(1, 4))
    for i in range(n_orders):
        chain = draw(st.sampled_from(sorted(CHAINS)))
        ref = str(i + 1).rjust(CHAINS[chain][2], "0")
        amount = draw(st.sampled_from([1000, 50000, 54000]))
        orders.append(dict(order_id=f"O{i}", chain=chain, ref=ref, amount=amount,
                           tax=draw(st.sampled_from([0, amount // 11])),
                           due=date(2026, 11, 2) + timedelta(days=draw(st.integers(1, 6))),
                           cancelled=draw(st.booleans()) and draw(st.booleans())))
    n_unknown = draw(st.integers(0, 1))
    targets = [(o["chain"], o["ref"], o["amount"]) for o in orders]
    targets += [("lawson", "9" * 11, 1500)] * n_unknown
    for chain, ref, amount in targets:
        for _ in range(draw(st.integers(0, 2))):
            kinds = draw(st.sets(st.sampled_from(["01", "02", "03"]), min_size=1))
            payments.append(dict(
                chain=chain, ref=ref,
                paid=jst(2026, 11, 3 + draw(st.integers(0, 5)), draw(st.sampled_from([9, 15, 20]))),
                store=draw(st.sampled_from(["1", "2"])),
                amount=amount if draw(st.integers(0, 4)) else amount + 1,
                kinds=sorted(kinds),
                stamp={k: draw(st.booleans()) if draw(st.integers(0, 5)) == 0 else amount >= 50000
                       for k in kinds}))
    return orders, payments


def files_of(payments):
    """Group events into the files a chain would send: 速報 files per paid day, 確報 five days later."""
    files: dict[tuple[str, date], list] = {}
    for p in payments:
        prelim_kind, confirm_kind, _ = CHAINS[p["chain"]]
        for k in p["kinds"]:
            kind, day = (confirm_kind, p["paid"].date() + timedelta(days=5)) if k == "02" else (
                prelim_kind, p["paid"].date())
            if kind == "CVS" and k == "02":
                day += timedelta(hours=1)  # another CVS file than the day's 速報 one
            files.setdefault((kind, day), []).append((p, k))
    return files


def run(orders, payments, arrival: list[int], record_orders: list[list[int]]) -> dict:
    d = Path(tempfile.mkdtemp(prefix="rc_prop_run_"))
    try:
        shutil.copy(template(), d / "w.duckdb")
        con = duckdb.connect(str(d / "w.duckdb"))
        f = Facts(con)
        files = files_of(payments)
        # sequence numbers per kind in creation order, as the chains number them
        seq: dict[str, int] = {}
        numbered = []
        for (kind, day) in sorted(files, key=lambda kd: (str(kd[1]), kd[0])):
            seq[kind] = seq.get(kind, 0) + 1
            numbered.append((kind, day, seq[kind], files[(kind, day)]))
        units = [("order", o) for o in orders] + [("file", n) for n in numbered]
        base = datetime(2026, 11, 2, 12, tzinfo=AS_OF.tzinfo)
        con.execute("begin")  # one commit: fast
        for slot, idx in enumerate(arrival):
            what, item = units[idx]
            at = base + timedelta(hours=7 * slot)
            if what == "order":
                f.order("M1", item["order_id"], item["chain"], item["ref"], item["amount"], item["due"], at,
                        tax_amount=item["tax"])
                if item["cancelled"]:
                    f.cancel("M1", item["order_id"], at)
            else:
                kind, day, n, events = item
                fid = f.file(kind, n, at, datetime(day.year, day.month, day.day, 6))
                order = record_orders[slot % len(record_orders)] if record_orders else []
                ranked = sorted(range(len(events)), key=lambda i: order[i % len(order)] if order else i)
                for i in ranked:
                    p, k = events[i]
                    f.event(fid, p["chain"], k, p["ref"], p["paid"], p["store"], p["amount"], p["stamp"][k],
                            p["stamp"][k] if p["chain"] in ("lawson", "daily") else None)
        reconcile(con, AS_OF)
        con.execute("commit")
        out = {
            "status": sorted(con.execute("select order_id, status, payment_id from order_status").fetchall()),
            "payments": sorted(con.execute(
                "select payment_id, role, live, holding_code, exception_code, released, settleable,"
                " confirmed_file_created_at from payments").fetchall()),
            "open": sorted(con.execute(
                "select exception_id, code, payment_id from exceptions where state = 'open'").fetchall()),
        }
        # invariants: one order's payment per order at most; one matching code per extra payment
        assert con.execute("select max(c) from (select count(*) c from payments where role = 'order_payment'"
                           " group by chain, reference)").fetchone()[0] in (None, 1)
        assert con.execute("select count(*) from payments where role = 'extra' and exception_code is null"
                           " and not refunded").fetchone() == (0,)
        con.close()
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.data())
def test_arrival_order_does_not_matter(scenario, data):
    orders, payments = scenario
    n_units = len(orders) + len(files_of(payments))
    first = run(orders, payments, list(range(n_units)), [])
    perm = data.draw(st.permutations(list(range(n_units))))
    rec = data.draw(st.lists(st.permutations(list(range(6))), min_size=1, max_size=3))
    assert run(orders, payments, list(perm), rec) == first
