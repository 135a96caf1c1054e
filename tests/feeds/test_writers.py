"""The layouts as data, written back: building the sample records reproduces the sample files."""

from datetime import date, datetime
from pathlib import Path

import pytest

from tasks.feeds import cvs, famima, gs1, sej
from tasks.feeds.layout import format_record

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"


def _sample(folder: str, name: str) -> bytes:
    return (SAMPLES / "inbox" / folder / name).read_bytes()


def seven(kind, ref, paid, hhmm, store, amount, stamp, transfer=None):
    return {
        "kind": kind,
        "reference": ref,
        "paid_date": paid,
        "paid_time": hhmm,
        "store_code": store,
        "amount": amount,
        "stamp_flag": stamp,
        "transfer_date": transfer,
    }


def test_sej_files_round_trip():
    prelim = [
        seven("01", "1000000000001", date(2026, 11, 3), "1230", "1234567", 3980, False),
        seven("01", "1000000000002", date(2026, 11, 3), "1805", "2345678", 54000, True),
        seven("01", "1000000000005", date(2026, 11, 4), "0915", "1234567", 2000, False),
        seven("01", "1000000000005", date(2026, 11, 4), "2040", "3456789", 2000, False),
    ]
    built = sej.build_file("01", datetime(2026, 11, 4, 21), 1, prelim, "912345")
    assert built == _sample("sej", "SEJ_01_20261104210000_000001.dat")
    confirmed = [dict(r, kind="02", transfer_date=date(2026, 11, 13)) for r in prelim[:3]]
    built = sej.build_file("02", datetime(2026, 11, 9, 6), 1, confirmed, "912345")
    assert built == _sample("sej", "SEJ_02_20261109060000_000001.dat")


def test_famima_files_round_trip():
    a1004 = {
        "reference": "300000000004",
        "paid_date": "20261103",
        "paid_time": "150000",
        "store_code": "123456",
        "amount": 12800,
        "stamp_flag": False,
    }
    b2001 = {
        "reference": "300000000007",
        "paid_date": date(2026, 11, 4),
        "paid_time": "111100",
        "store_code": "654321",
        "amount": 300000,
        "stamp_flag": True,
    }
    records = [dict(a1004, kind="01"), dict(a1004, kind="03"), dict(b2001, kind="01")]
    built = famima.build_file("S", datetime(2026, 11, 4, 12), 1, records, "54321")
    assert built == _sample("famima", "FM_S_20261104120000_000001.dat")
    k = [dict(b2001, kind="02", confirmed_date=date(2026, 11, 9), transfer_date=date(2026, 11, 13))]
    built = famima.build_file("K", datetime(2026, 11, 9, 6, 10), 1, k, "54321")
    assert built == _sample("famima", "FM_K_20261109061000_000001.dat")


def lawson_like(kind, paid, hhmm, ref, due, bar_stamp, amount, chain, store, stamp=None, transfer=None):
    return {
        "kind": kind,
        "paid_date": paid,
        "paid_time": hhmm,
        "barcode": gs1.build_barcode("912345", ref, due, bar_stamp, amount),
        "stamp_flag": bar_stamp if stamp is None else stamp,
        "amount": amount,
        "chain": chain,
        "store_code": store,
        "transfer_date": transfer,
    }


def test_cvs_files_round_trip():
    a1003 = ("20261103", "1945", "20000000003", date(2026, 11, 9), False, 54000, "lawson", "101")
    a1006 = ("20261104", "0800", "20000000006", date(2026, 11, 3), False, 5000, "lawson", "102")
    c3001 = ("20261104", "1300", "20000000009", date(2026, 11, 16), False, 45000, "ministop", "5001")
    c3002 = ("20261104", "1400", "20000000010", date(2026, 11, 16), True, 50000, "daily", "7001")
    unknown = ("20261104", "1600", "29999999999", date(2026, 11, 20), False, 1500, "lawson", "103")
    c3003 = ("20261105", "1000", "20000000011", date(2026, 11, 16), False, 8000, "seicomart", "9001")
    prelim = [lawson_like("01", *p) for p in (a1003, a1006, c3001, c3002, unknown)]
    built = cvs.build_file(datetime(2026, 11, 4, 17), prelim)
    assert built == _sample("cvs", "CVS_20261104170000_000001.csv")
    confirmed = [lawson_like("02", *p, transfer=date(2026, 11, 13)) for p in (a1003, c3001, c3002, c3003)]
    built = cvs.build_file(datetime(2026, 11, 9, 6, 20), confirmed)
    assert built == _sample("cvs", "CVS_20261109062000_000002.csv")


def test_gs1_public_vectors_and_builder():
    assert gs1.check_digit("9191234501234567890123456789010103310123000") == 3
    assert gs1.check_digit("9194238617895391785393569273010307311031290") == 3
    code = gs1.build_barcode("912345", "20000000003", date(2026, 11, 9), False, 54000)
    assert code == "91912345200000000030000000000026110900540009"
    decoded = gs1.decode(code)
    assert decoded == gs1.Barcode("912345", "20000000003", date(2026, 11, 9), False, 54000)
    with pytest.raises(ValueError, match="check digit"):
        gs1.decode(code[:-1] + "0")


def test_format_record_refuses_what_does_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        format_record(sej.DATA, {"kind": "01", "amount": 1_000_000})
    with pytest.raises(ValueError, match="not digits"):
        format_record(sej.DATA, {"kind": "01", "reference": "12345x"})
    with pytest.raises(ValueError, match="unknown fields"):
        format_record(sej.DATA, {"kind": "01", "nope": 1})
