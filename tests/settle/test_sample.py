"""The spec's sample scenario through the real pipeline (master load, inbox pull, reconciliation,
settlement): exactly the three settlements and payout files of samples/README.md."""

from __future__ import annotations

from datetime import date, datetime

from tasks.clock import JST
from tasks.ingest import pull
from tasks.master import load_master
from tasks.reconcile.run import reconcile
from tasks.settle.zengin import read_trailer

from .conftest import settle


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def test_sample_scenario_settlements_and_payout_files(sample_inbox, sample_master, settings, warehouse):
    load_master(warehouse, sample_master, jst(2026, 11, 1))
    outcomes = pull(warehouse, jst(2026, 11, 10, 7), settings, retry_delays=())
    assert {o.state for o in outcomes} == {"accepted"}
    expected = {
        # payout date: (cut-off passed at, merchant, payments, fees, tax, stamps, net, account)
        date(2026, 11, 16): (jst(2026, 11, 12, 7), "M000003", 3, 103000, 13360, 1336, 200, 88104,
                             "0001100", "2", "0001111"),
        date(2026, 11, 30): (jst(2026, 11, 26, 7), "M000002", 1, 300000, 7500, 750, 200, 291550,
                             "0009123", "1", "7654321"),
        date(2026, 12, 15): (jst(2026, 12, 11, 7), "M000001", 4, 113980, 13510, 1351, 200, 98919,
                             "0005001", "1", "1234567"),
    }
    for payout, (when, merchant, n, total, fees, tax, stamps, net, bank, atype, number) in expected.items():
        with warehouse.write() as con:
            reconcile(con, when)
        r = settle(settings, when, finalize=True)
        assert r.check_ok, r.failures
        rows = r.statements.select(
            "merchant_id", "payout_date", "payment_count", "payments_total", "fees", "tax", "stamps", "net",
            "state").rows()
        assert rows == [(merchant, payout, n, total, fees, tax, stamps, net, "finalized")]
        content = (settings.out_dir / "payouts" / f"ZENGIN_{payout:%Y%m%d}.txt").read_bytes()
        records = content.split(b"\r\n")
        assert len(records) == 4 and all(len(x) == 120 for x in records)
        assert records[0][:4] == b"1210" and records[0][54:58] == f"{payout:%m%d}".encode()
        data = records[1]
        assert data[1:5] + data[20:23] == bank.encode()
        assert (data[42:43], data[43:50], int(data[80:90])) == (atype.encode(), number.encode(), net)
        assert read_trailer(content) == (1, net)
    with warehouse.read() as con:
        assert con.execute("select count(*) from settlement_finalizations").fetchall() == [(3,)]
        # every confirmed yen of the sample is settled: the held payments (duplicate, unknown
        # reference, paid after due) never got a 02
        (report,) = con.execute("select settled_total, in_run_total, held_total from settlement_runs "
                                "order by run_id desc limit 1").fetchall()
    assert report == (103000 + 300000, 113980, 0)
    assert sorted(p.name for p in (settings.out_dir / "payouts").iterdir()) == [
        "ZENGIN_20261116.txt", "ZENGIN_20261130.txt", "ZENGIN_20261215.txt"]
