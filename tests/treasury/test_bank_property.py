"""Property: over simulated remittances with random short, late and over transfers (the simulator's
own, tasks/simulate/bank.py), every chain balance equals Σ expected − Σ received up to its day, and
each source has one open REMITTANCE_SHORT / REMITTANCE_OVER exactly when its last balance is not 0."""

from __future__ import annotations

import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.bank_calendar import add_business_days
from tasks.inbox import InboundFile, parse_name
from tasks.reconcile.run import reconcile
from tasks.settings import Settings
from tasks.simulate.bank import bank_files, expected_by_day, remittances, with_strangers
from tasks.treasury.bank_file import ingest_bank_file
from tasks.warehouse import Warehouse, transaction

from .bank_support import jst

CHAINS = ("seven", "famima", "lawson", "ministop")
FEED = {"seven": "SEJ", "famima": "FM", "lawson": "CVS", "ministop": "CVS"}
FIRST = date(2026, 11, 2)


def _confirm(con, rows: list[tuple[str, date, int]], ingested: datetime) -> None:
    """02 records of an accepted file (the columns the ingestion writes), one per expected amount."""
    con.execute("insert into inbound_files values (1, 'sej', 'x', 'SEJ_02', 1, ?, 'x', 0, ''::blob, ?, "
                "'accepted')", [ingested, ingested])
    for i, (chain, day, amount) in enumerate(rows, start=2):
        ref = f"{i:013d}"
        con.execute(
            """insert into feed_records select 1, ?, ?, ?, '02', ?, ?, '120000', '1', ?, false, ?, null, null,
                   null, null, ?, ?, md5(? || '02'), md5(?)""",
            [i, FEED[chain], chain, ref, day - timedelta(days=5), amount, day, ingested, ingested, ref, ref])


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10**6),
    short=st.floats(0, 0.3), late=st.floats(0, 0.3), over=st.floats(0, 0.3),
    amounts=st.lists(st.tuples(st.sampled_from(CHAINS), st.integers(0, 8), st.integers(1, 300_000)),
                     min_size=1, max_size=14),
)
def test_chain_balances_are_expected_minus_received(seed, short, late, over, amounts):
    confirmed = [(c, add_business_days(FIRST, d), a) for c, d, a in amounts]
    rates = {"short_remittance": short, "late_remittance": late, "over_remittance": over}
    rng = random.Random(seed)
    transfers, _ = remittances(expected_by_day(confirmed), rng, rates)
    transfers, _ = with_strangers(transfers, rng, 0.2)
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings(data_dir=Path(tmp))
        wh = Warehouse(s.warehouse_path)
        files = bank_files(transfers, s)
        with wh.session() as con:
            with transaction(con):
                _confirm(con, confirmed, datetime(2026, 11, 1))
            for f in files:
                at = jst(f.created_at.year, f.created_at.month, f.created_at.day, 19)
                with transaction(con):
                    outcome = ingest_bank_file(con, InboundFile(parse_name("bank", f.name), f.content), at, s)
                assert outcome.state == "accepted", outcome.reasons
            with transaction(con):
                reconcile(con, jst(2026, 12, 31))
            rows = con.execute("select source, day, balance from v_chain_balances order by all").fetchall()
            open_ = con.execute("select code, source, amount from v_exceptions where state = 'open'"
                                " and code like 'REMITTANCE%'").fetchall()
    days = sorted({f.created_at.date() for f in files})
    want = []
    for source in ("CVS", "FM", "SEJ"):
        for d in days:
            exp = sum(a for c, td, a in confirmed if FEED[c] == source and td <= d)
            rec = sum(t.amount for t in transfers if t.source == source and t.booking_date <= d)
            want.append((source, d, exp - rec))
    assert rows == want
    last = {s: b for s, _, b in want}  # the last day's balance per source
    assert sorted(open_) == sorted(("REMITTANCE_SHORT" if b > 0 else "REMITTANCE_OVER", s, abs(b))
                                   for s, b in last.items() if b != 0)
