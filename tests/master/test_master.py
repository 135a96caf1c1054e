"""Master data: validation of the three files, whole loads, and what existing facts still need."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from tasks.clock import JST
from tasks.inbox import InboundFile, parse_name
from tasks.master import MasterRejected, load_master, validate_master
from tasks.master_store import current_master
from tasks.orders import ingest_orders_file
from tasks.warehouse import transaction

AS_OF = datetime(2026, 11, 1, 9, 0, tzinfo=JST)
SECRET = "k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s"


def edited(sample_master: Path, tmp_path: Path, **edits) -> Path:
    """A copy of the sample master with text replacements per file: merchants=[(old, new)], …"""
    d = tmp_path / "master"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(sample_master, d)
    for stem, replacements in edits.items():
        path = d / f"{stem}.csv"
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return d


def _count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_sample_master_loads(warehouse, sample_master):
    result = load_master(warehouse, sample_master, AS_OF)
    assert (result.load_id, result.new_load, result.merchants, result.sites, result.fee_plans) == (
        1,
        True,
        3,
        3,
        2,
    )
    with warehouse.read() as con:
        load, frames = current_master(con)
        assert load["load_id"] == 1 and load["loaded_at"] == datetime(2026, 11, 1, 9, 0)
        m = con.execute(
            "select merchant_id, name_kana, settlement_cycle, notify_url, notify_secret, contract_start"
            " from current_merchants order by 1"
        ).fetchall()
        assert m[0][:5] == ("M000001", "ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ", 1, "https://merchant1.example/hooks/konbini", SECRET)
        assert m[1][3:5] == (None, None)
        assert con.execute("select chains from current_sites where site_id = 'S000002'").fetchall() == [
            (["seven", "famima", "lawson"],)
        ]
        assert con.execute(
            "select rate_bp, fee_famima from current_fee_plans where plan_id = 'P2'"
        ).fetchall() == [(250, 0)]
    assert "notify_secret" not in frames["merchants"].columns


def test_same_set_again_is_no_new_load_and_a_change_is(warehouse, sample_master, tmp_path):
    load_master(warehouse, sample_master, AS_OF)
    again = load_master(warehouse, sample_master, AS_OF)
    assert (again.load_id, again.new_load) == (1, False)
    changed = edited(
        sample_master, tmp_path, merchants=[("ops@sample-shop.example", "ops2@sample-shop.example")]
    )
    second = load_master(warehouse, changed, AS_OF)
    assert (second.load_id, second.new_load) == (2, True)
    with warehouse.read() as con:
        assert _count(con, "master_loads") == 2 and _count(con, "merchants") == 6  # loads are kept
        assert con.execute(
            "select email from current_merchants where merchant_id = 'M000001'"
        ).fetchall() == [("ops2@sample-shop.example",)]


def test_bank_9900_is_rejected_and_changes_nothing(warehouse, sample_master, tmp_path):
    load_master(warehouse, sample_master, AS_OF)
    with warehouse.read() as con:
        before = con.sql("select * from merchants order by all").fetchall()
    bad = edited(sample_master, tmp_path, merchants=[(",0009,123,", ",9900,123,")])
    with pytest.raises(MasterRejected) as e:
        load_master(warehouse, bad, AS_OF)
    assert [(r.file, r.line_no, r.field, r.value) for r in e.value.reasons] == [
        ("merchants.csv", 3, "bank_code", "9900")
    ]
    assert "9900" in e.value.reasons[0].reason
    with warehouse.read() as con:
        assert _count(con, "master_loads") == 1
        assert con.sql("select * from merchants order by all").fetchall() == before


M1 = "M000001,株式会社サンプル商店,ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ,active,2026-01-01,1,P1,0005,001,1,1234567,"


@pytest.mark.parametrize(
    ("edits", "where", "words"),
    [
        # name_kana
        ({"merchants": [("ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ", "ｶ)サンプル商店")]}, ("merchants.csv", 2, "name_kana"), "'商'"),
        ({"merchants": [("ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ", "ｶ)ｻﾝﾌﾟﾙ&ｼﾖｳﾃﾝ")]}, ("merchants.csv", 2, "name_kana"), "'&'"),
        ({"merchants": [("ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ", "ｱ" * 31)]}, ("merchants.csv", 2, "name_kana"), "at most 30"),
        # references across files
        (
            {"sites": [("S000003,M000003", "S000003,M000004")]},
            ("sites.csv", 4, "merchant_id"),
            "unknown merchant",
        ),
        ({"merchants": [(",6,P1,", ",6,P3,")]}, ("merchants.csv", 4, "fee_plan"), "unknown fee plan"),
        # notifications
        (
            {"merchants": [("https://merchant1", "http://merchant1")]},
            ("merchants.csv", 2, "notify_url"),
            "https",
        ),
        ({"merchants": [(SECRET, "")]}, ("merchants.csv", 2, "notify_secret"), "required"),
        ({"merchants": [(SECRET, SECRET[:31])]}, ("merchants.csv", 2, "notify_secret"), "at least 32"),
        # formats
        (
            {"merchants": [("M000002,", "M00002,")]},  # and so S000002 names an unknown merchant
            [("merchants.csv", 3, "merchant_id"), ("sites.csv", 3, "merchant_id")],
            "M followed by 6",
        ),
        ({"sites": [("S000002,", "S0000002,")]}, ("sites.csv", 3, "site_id"), "S followed by 6"),
        ({"merchants": [("2026-03-01", "2026-02-30")]}, ("merchants.csv", 3, "contract_start"), "real date"),
        ({"merchants": [(",2,P2,", ",3,P2,")]}, ("merchants.csv", 3, "settlement_cycle"), "1, 2 or 6"),
        (
            {"merchants": [("123,1,7654321", "123,3,7654321")]},
            ("merchants.csv", 3, "account_type"),
            "1 (普通",
        ),
        ({"merchants": [("7654321", "765432")]}, ("merchants.csv", 3, "account_number"), "7 digits"),
        ({"merchants": [(",0009,123,", ",0009,12,")]}, ("merchants.csv", 3, "branch_code"), "3 digits"),
        ({"merchants": [(",0009,123,", ",00009,123,")]}, ("merchants.csv", 3, "bank_code"), "4 digits"),
        (
            {"merchants": [(",active,2026-03-01", ",closed,2026-03-01")]},
            ("merchants.csv", 3, "status"),
            "active, suspended, terminated",
        ),
        ({"sites": [("lawson,active", "lawson,paused")]}, ("sites.csv", 3, "status"), "active, closed"),
        ({"sites": [("seven|famima|lawson", "seven|circlek")]}, ("sites.csv", 3, "chains"), "chain codes"),
        ({"sites": [("seven|famima|lawson", "seven|famima|seven")]}, ("sites.csv", 3, "chains"), "twice"),
        ({"fee_plans": [("P2,0,0,", "P2,-1,0,")]}, ("fee_plans.csv", 3, "initial_fee"), "non-negative"),
        ({"fee_plans": [(",250", ",10001")]}, ("fee_plans.csv", 3, "rate_bp"), "at most 10000"),
        ({"merchants": [("books@test-pub.example", "")]}, ("merchants.csv", 3, "email"), "e-mail"),
        # bank data
        ({"merchants": [(",0009,123,", ",0008,123,")]}, ("merchants.csv", 3, "bank_code"), "unknown bank"),
        (
            {"merchants": [(",0009,123,", ",0009,999,")]},
            ("merchants.csv", 3, "branch_code"),
            "unknown branch",
        ),
        # duplicates
        (
            {"merchants": [("M000002,", "M000001,")], "sites": [("S000002,M000002", "S000002,M000001")]},
            ("merchants.csv", 3, "merchant_id"),
            "also at line 2",
        ),
        ({"sites": [("S000002,", "S000001,")]}, ("sites.csv", 3, "site_id"), "also at line 2"),
        (
            {"fee_plans": [("P2,", "P1,")], "merchants": [(",2,P2,", ",2,P1,")]},
            ("fee_plans.csv", 3, "plan_id"),
            "also at line 2",
        ),
    ],
)
def test_each_rule_rejects_with_its_reason(sample_master, tmp_path, edits, where, words):
    bad = edited(sample_master, tmp_path, **edits)
    frames, reasons = validate_master(bad)
    assert frames == {}
    expected = where if isinstance(where, list) else [where]
    assert [(r.file, r.line_no, r.field) for r in reasons] == expected, [str(r) for r in reasons]
    assert words in reasons[0].reason


def test_full_width_kana_is_converted(warehouse, sample_master, tmp_path):
    d = edited(sample_master, tmp_path, merchants=[("ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ", "カ）サンプルショウテン")])
    load_master(warehouse, d, AS_OF)
    with warehouse.read() as con:
        assert con.execute(
            "select name_kana from current_merchants where merchant_id = 'M000001'"
        ).fetchall() == [("ｶ)ｻﾝﾌﾟﾙｼﾖｳﾃﾝ",)]


def test_every_reason_of_a_set_is_given(sample_master, tmp_path):
    bad = edited(
        sample_master,
        tmp_path,
        merchants=[(",0009,123,", ",9900,123,"), ("ｶﾞｸ)ﾐﾎﾝｶﾞｸｴﾝ", "学校ﾐﾎﾝ")],
        sites=[("S000003,M000003", "S000003,M000009")],
        fee_plans=[(",250", ",x")],
    )
    _, reasons = validate_master(bad)
    assert [(r.file, r.line_no, r.field) for r in reasons] == [
        ("merchants.csv", 3, "bank_code"),
        ("merchants.csv", 4, "name_kana"),
        ("sites.csv", 4, "merchant_id"),
        ("fee_plans.csv", 3, "rate_bp"),
    ]


def test_unreadable_files(sample_master, tmp_path):
    d = edited(sample_master, tmp_path)
    (d / "fee_plans.csv").unlink()
    (d / "sites.csv").write_bytes(b"site_id,merchant_id,url,status\n")
    (d / "merchants.csv").write_bytes((sample_master / "merchants.csv").read_text().encode("cp932"))
    _, reasons = validate_master(d)
    assert [(r.file, r.line_no, r.field) for r in reasons] == [
        ("merchants.csv", 2, None),  # the first line with a non-ASCII byte
        ("sites.csv", 1, "chains"),
        ("fee_plans.csv", None, None),
    ]
    assert "not UTF-8" in reasons[0].reason and "missing" in reasons[2].reason


def _with_orders(warehouse, sample_master, settings):
    load_master(warehouse, sample_master, AS_OF)
    path = sample_master.parent / "inbox" / "orders" / "ORDERS_20261102100500_000001.csv"
    with warehouse.write() as con:
        ingest_orders_file(
            con, InboundFile(parse_name("orders", path.name), path.read_bytes()), AS_OF, settings
        )


def _drop_line(path: Path, startswith: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith(startswith)), encoding="utf-8")


def test_what_orders_reference_cannot_disappear(warehouse, sample_master, tmp_path, settings):
    _with_orders(warehouse, sample_master, settings)
    d = edited(sample_master, tmp_path, sites=[("S000002,M000002", "S000002,M000001")])
    _drop_line(d / "merchants.csv", "M000003")
    _drop_line(d / "sites.csv", "S000003")
    with pytest.raises(MasterRejected) as e:
        load_master(warehouse, d, AS_OF)
    assert [(r.file, r.line_no, r.field, r.value) for r in e.value.reasons] == [
        ("merchants.csv", None, "merchant_id", "M000003"),
        ("sites.csv", 3, "merchant_id", "M000001"),
        ("sites.csv", None, "site_id", "S000003"),
    ]
    assert "3 order(s)" in e.value.reasons[0].reason
    with warehouse.read() as con:
        assert _count(con, "master_loads") == 1


def _insert_finalization(con, merchant_id: str) -> None:
    """A finalized settlement of the merchant; columns this test does not care about get zeros."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_name = 'settlement_finalizations' order by ordinal_position"
    ).fetchall()
    given = {"settlement_id": f"'{merchant_id}-20261101'", "merchant_id": f"'{merchant_id}'"}
    zero = {"DATE": "date '2026-11-16'", "TIMESTAMP": "timestamp '2026-11-12 00:00:00'", "VARCHAR": "'test'"}
    values = [given.get(name, zero.get(dtype, "0")) for name, dtype in columns]
    con.execute(f"insert into settlement_finalizations values ({', '.join(values)})")


def test_a_merchant_without_orders_may_go_but_not_one_with_settlements(warehouse, sample_master, tmp_path):
    load_master(warehouse, sample_master, AS_OF)
    d = edited(sample_master, tmp_path)
    _drop_line(d / "merchants.csv", "M000003")
    _drop_line(d / "sites.csv", "S000003")
    with warehouse.write() as con:
        _insert_finalization(con, "M000003")
    with pytest.raises(MasterRejected) as e:
        load_master(warehouse, d, AS_OF)
    assert [(r.field, r.value) for r in e.value.reasons] == [("merchant_id", "M000003")]
    assert "1 finalized settlement(s)" in e.value.reasons[0].reason
    with warehouse.write() as con:
        con.execute("delete from settlement_finalizations")
    assert load_master(warehouse, d, AS_OF).merchants == 2


def test_load_on_a_connection_is_one_unit_of_work(warehouse, sample_master, tmp_path):
    bad = edited(sample_master, tmp_path, merchants=[(",0009,123,", ",9900,123,")])
    with warehouse.session() as con:
        assert load_master(con, sample_master, AS_OF).load_id == 1
        with pytest.raises(MasterRejected):
            load_master(con, bad, AS_OF)
        with transaction(con):  # no transaction was left open
            assert _count(con, "master_loads") == 1


def test_dry_run_checks_everything_and_writes_nothing(warehouse, sample_master, tmp_path, settings):
    first = load_master(warehouse, sample_master, AS_OF, dry_run=True)
    assert (first.load_id, first.new_load) == (1, True)
    with warehouse.read() as con:
        assert _count(con, "master_loads") == 0
    _with_orders(warehouse, sample_master, settings)
    assert load_master(warehouse, sample_master, AS_OF, dry_run=True).new_load is False
    d = edited(sample_master, tmp_path)
    _drop_line(d / "merchants.csv", "M000003")
    _drop_line(d / "sites.csv", "S000003")
    with pytest.raises(MasterRejected):  # what orders still need is checked too
        load_master(warehouse, d, AS_OF, dry_run=True)
