"""100,000 references issued per chain: unique, of the chain's length (feeds.md), and read back
unchanged by the feed parsers when the chains report payments of them (SEJ, FM, CVS files)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from schemas.orders import REFERENCE_DIGITS
from tasks.feeds import cvs, famima, gs1, sej
from tasks.inbox import InboundFile, parse_name

N = 100_000
CREATED = datetime(2026, 11, 4, 21, 0)
PAID = date(2026, 11, 4)


def _issue(store, chain: str) -> list[str]:
    from tasks.api_orders.references import issue

    with store.tx() as con:
        wanted = [(chain, "M000001", f"P-{chain}-{i}") for i in range(N)]
        return issue(con, wanted, "2026-11-04T09:00:00+09:00")


def _parsed(folder: str, name: str, content: bytes, settings):
    module = {"sej": sej, "famima": famima, "cvs": cvs}[folder]
    parsed = module.parse(InboundFile(parse_name(folder, name), content), settings)
    assert parsed.ok, parsed.reasons[:3]
    return parsed.events


@pytest.mark.slow
@pytest.mark.parametrize("chain", list(REFERENCE_DIGITS))
def test_issued_references_are_unique_of_the_right_length_and_parse_back(chain, settings):
    from tasks.api_orders.store import open_store

    store = open_store(settings)
    refs = _issue(store, chain)
    n = REFERENCE_DIGITS[chain]
    assert len(set(refs)) == N
    assert all(len(r) == n and r.isdigit() for r in refs)
    stored = store.con().execute("select count(*) from issued_references where chain = ?", [chain]).fetchone()
    assert stored[0] == N
    # not sequential: consecutive references are not a constant step apart
    steps = {int(b) - int(a) for a, b in zip(refs, refs[1:], strict=False)}
    assert len(steps) > N // 2

    base = {"paid_date": PAID, "paid_time": "1230", "amount": 1000, "stamp_flag": False}
    if chain == "seven":
        records = [dict(base, kind="01", reference=r, store_code="1234567", transfer_date=None) for r in refs]
        events = _parsed("sej", "SEJ_01_20261104210000_000001.dat",
                         sej.build_file("01", CREATED, 1, records, settings.sej_company_code), settings)
    elif chain == "famima":
        records = [dict(base, kind="01", reference=r, store_code="123456", paid_time="123000") for r in refs]
        events = _parsed("famima", "FM_S_20261104210000_000001.dat",
                         famima.build_file("S", CREATED, 1, records, settings.fm_company_code), settings)
    else:
        records = [dict(base, kind="01", chain=chain, store_code="101", barcode=gs1.build_barcode(
            settings.gs1_company_code, r, date(2026, 11, 20), False, 1000)) for r in refs]
        events = _parsed("cvs", "CVS_20261104210000_000001.csv", cvs.build_file(CREATED, records), settings)
    assert sorted(events["reference"].to_list()) == sorted(refs)
    assert set(events["chain"].to_list()) == {chain}
