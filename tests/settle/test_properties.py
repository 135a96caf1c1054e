"""Property: whatever the payments and the times of the finalizing runs, every confirmed yen is in
exactly one place, each payment is settled in the first settlement it could enter, and finalized
settlements of a merchant follow period order."""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tasks.clock import JST
from tasks.settings import Settings
from tasks.settle.calendar import period_of
from tasks.warehouse import Warehouse

from .conftest import MERCHANTS, Book, settle

payment = st.tuples(
    st.sampled_from(sorted(MERCHANTS)),
    st.integers(0, 45),  # paid: days after 2026-10-20
    st.integers(0, 20),  # days from payment to the 02 file
    st.integers(1, 300_000),
    st.booleans(),  # stamp
    st.sampled_from(["ok", "ok", "ok", "held", "refunded"]),
)


@hsettings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payments=st.lists(payment, min_size=1, max_size=8),
    runs=st.lists(st.integers(0, 60), min_size=1, max_size=3, unique=True),
)
def test_conservation_and_first_possible_settlement(payments, runs):
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Settings(data_dir=Path(tmp))
        book = Book(Warehouse(cfg.warehouse_path))
        book.master()
        start = date(2026, 10, 20)
        made = {}
        for i, (m, paid_days, delay, amount, stamp, fate) in enumerate(payments):
            paid = start + timedelta(days=paid_days)
            conf = datetime.combine(paid + timedelta(days=delay), datetime.min.time()) + timedelta(hours=6)
            pid = book.payment(m, "daily", amount, paid, conf, stamp=stamp, order_id=f"O{i}",
                               held="AMOUNT_MISMATCH" if fate == "held" else None,
                               refunded=fate == "refunded")
            made[pid] = (m, paid, conf, amount, fate)
        finalized_at = {}
        for day in sorted(runs):
            as_of = datetime(2026, 11, 1, 7, tzinfo=JST) + timedelta(days=day)
            r = settle(cfg, as_of, finalize=True)
            assert r.check_ok, r.failures
            c = r.conservation
            assert c["confirmed"] == sum(a for _, _, _, a, _ in made.values())
            assert c["confirmed"] == sum(c[k] for k in ("settled", "in_run", "waiting", "carried", "held",
                                                          "refunded"))
            assert c["held"] == sum(a for *_, a, f in made.values() if f == "held")
            assert c["refunded"] == sum(a for *_, a, f in made.values() if f == "refunded")
            for sid in r.finalized:
                finalized_at[sid] = as_of.replace(tzinfo=None)
        rows = book.sql(
            "select f.settlement_id, f.merchant_id, f.period_start, f.period_end, f.cutoff, l.payment_id "
            "from settlement_finalizations f left join settlement_lines l "
            "on l.settlement_id = f.settlement_id and l.kind = 'payment'"
        )
        settlements = {(sid, m, s, e, cut) for sid, m, s, e, cut, _ in rows}
        for sid, m, s, e, cut, pid in rows:
            if pid is None:
                continue
            _, paid, conf, _, fate = made[pid]
            assert fate == "ok" and paid <= e and conf <= cut
            # no earlier finalized settlement of the merchant could have taken it
            for sid2, m2, s2, e2, cut2 in settlements:
                if m2 == m and s2 < s and finalized_at[sid2] >= conf:
                    assert not (paid <= e2 and conf <= cut2), (pid, sid, sid2)
        # period order: a merchant's settlements are finalized in the order of their periods
        per_merchant = {}
        for sid, m, _s, _, _ in sorted(settlements, key=lambda x: (x[1], x[2])):
            per_merchant.setdefault(m, []).append(finalized_at[sid])
        assert all(ts == sorted(ts) for ts in per_merchant.values())
        # and what is settled is exactly the ok payments whose own period's cut-off passed by then
        last = max(finalized_at.values(), default=None)
        for pid, (m, paid, conf, _, fate) in made.items():
            settled = any(p == pid for *_, p in rows)
            own = period_of(MERCHANTS[m][0], paid)
            if fate == "ok" and last is not None and own.cutoff < last and conf <= own.cutoff:
                assert settled, (pid, paid, conf)
