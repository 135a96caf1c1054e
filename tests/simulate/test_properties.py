"""Any seed and any rates: every file is valid (or broken on purpose) and the summary counts it right.

Checked with the feed modules' own parsers (no warehouse), on small simulations.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import polars as pl
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tasks.feeds import cvs, famima, sej
from tasks.inbox import InboundFile, parse_name
from tasks.settings import Settings
from tasks.simulate import ANOMALIES, simulate

PARSERS = {"sej": sej, "famima": famima, "cvs": cvs}
FILE_RATES = [a.name for a in ANOMALIES if a.per in ("record", "feed file")]
rates = st.fixed_dictionaries({name: st.sampled_from([0.0, 0.1, 1.0]) for name in FILE_RATES})


@hyp_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), days=st.integers(1, 2), per_day=st.integers(0, 25), file_rates=rates,
       start=st.dates(date(2026, 1, 1), date(2027, 12, 31)))
def test_files_parse_and_match_the_summary(tmp_path_factory, seed, days, per_day, file_rates, start):
    root = tmp_path_factory.mktemp("prop")
    settings = Settings(data_dir=root)
    s = simulate(root / "sim", start, days, per_day, seed, anomalies={**file_rates, "late_payment": 0.1},
                 settings=settings)
    broken: Counter[str] = Counter()
    frames = []
    for folder, parser in PARSERS.items():
        for p in sorted((s.inbox / folder).iterdir()) if (s.inbox / folder).exists() else []:
            meta = parse_name(folder, p.name)
            assert meta is not None
            parsed = parser.parse(InboundFile(meta, p.read_bytes()), settings)
            if not parsed.ok:
                assert parsed.reasons  # broken on purpose, and said why
                broken[meta.kind] += 1
            else:
                frames.append(parsed.events.with_columns(pl.lit(parser.FEED).alias("feed")))
    assert dict(broken) == s.corrupt_files
    records: Counter[str] = Counter()
    events: Counter[str] = Counter()
    if frames:
        ev = pl.concat(frames, how="diagonal_relaxed")
        seen = ev.group_by("feed", "kind").len()
        records.update({f"{r['feed']} {r['kind']}": r["len"] for r in seen.to_dicts()})
        identity = ["feed", "chain", "reference", "kind", "paid_date", "paid_time", "store_code", "amount"]
        distinct = ev.unique(identity).group_by("feed", "kind").len()
        events.update({f"{r['feed']} {r['kind']}": r["len"] for r in distinct.to_dicts()})
    assert dict(records) == s.records
    assert dict(events) == s.events
