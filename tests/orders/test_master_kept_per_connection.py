"""The master data the order rules read is kept per connection (tasks.master_store.master_for_orders):
a new load, also one made through the same connection or rolled back, is what the next file sees.
And what the warehouse holds of a row (tasks.registered_orders): identical only when every field is."""

from __future__ import annotations

import shutil

import pytest

from tasks.master import load_master
from tasks.orders import ingest_orders_file
from tasks.registered_orders import SMALL

from .conftest import AS_OF, order_line, orders_file

SUSPENDED = "merchant is suspended: it takes no new orders"


def _reasons(con, file_id: int) -> list[tuple]:
    return con.execute("select line_no, field, reason from rejections where file_id = ? order by all",
                       [file_id]).fetchall()


def _b_order(order_id: str) -> str:
    return order_line(order_id, merchant="M000002", site="S000002", reference=f"20000000{order_id[-2:]}001")


def test_a_load_through_the_same_connection_is_seen_by_the_next_file(con, ingest, sample_master, tmp_path):
    first = ingest(ingest_orders_file, orders_file([_b_order("B-01")], seq=1))
    assert first.counts["orders"] == 1
    master = shutil.copytree(sample_master, tmp_path / "master")
    merchants = master / "merchants.csv"
    text = merchants.read_text(encoding="utf-8")
    merchants.write_text(text.replace("M000002,有限会社テスト出版,ﾕ)ﾃｽﾄｼﾕﾂﾊﾟﾝ,active",
                                      "M000002,有限会社テスト出版,ﾕ)ﾃｽﾄｼﾕﾂﾊﾟﾝ,suspended"), encoding="utf-8")
    assert load_master(con, master, AS_OF).new_load
    second = ingest(ingest_orders_file, orders_file([_b_order("B-02")], seq=2))
    assert second.counts["orders"] == 0
    assert _reasons(con, second.file_id) == [(2, "merchant_id", SUSPENDED)]


def test_a_load_rolled_back_is_not_kept(con, ingest, settings):
    ingest(ingest_orders_file, orders_file([_b_order("B-01")], seq=1))
    con.execute("begin")
    con.execute("insert into master_loads select 2, loaded_at, source, 'another set' from master_loads")
    for table in ("merchants", "sites", "fee_plans"):
        con.execute(f"insert into {table} select * replace (2 as load_id) from {table}")
    con.execute("update merchants set status = 'suspended' where load_id = 2 and merchant_id = 'M000002'")
    inside = ingest_orders_file(con, orders_file([_b_order("B-02")], seq=2), AS_OF, settings)
    assert [r.reason for r in inside.reasons] == [SUSPENDED]
    con.execute("rollback")
    after = ingest(ingest_orders_file, orders_file([_b_order("B-02")], seq=2))
    assert after.counts == {"orders": 1, "identical": 0, "rejected_rows": 0}


def test_identical_needs_every_field_and_a_good_form(con, ingest):
    no_mail = order_line("T-1", email="")
    ingest(ingest_orders_file, orders_file([no_mail, order_line("T-2", reference="1000000000102")], seq=1))
    again = [
        no_mail,  # identical: the empty e-mail is stored as null
        order_line("T-2", reference="1000000000102", amount="3980x"),  # same key, a bad amount
        order_line("T-3", reference="1000000000102"),  # another order's reference
    ]
    out = ingest(ingest_orders_file, orders_file(again, seq=2))
    assert out.counts == {"orders": 0, "identical": 1, "rejected_rows": 2}
    assert [r[:2] for r in _reasons(con, out.file_id)] == [
        (3, "amount"), (3, "order_id"), (4, "payment_reference")]


@pytest.mark.parametrize("filler", [0, SMALL + 10])
def test_small_and_large_files_are_judged_alike(con, ingest, filler):
    """A small file reaches DuckDB as list parameters, a large one as a registered frame."""
    registered = [order_line("T-1", email=""), order_line("T-2", reference="1000000000102"),
                  order_line("T-3", merchant="M000002", site="S000002", reference="2000000000003")]
    ingest(ingest_orders_file, orders_file(registered, seq=1))
    lines = [order_line("T-1", email=""),  # identical
             order_line("T-2", reference="1000000000102", amount="3981"),  # conflict
             order_line("T-4", reference="1000000000102"),  # reference of T-2
             order_line("T-5", merchant="M000002", site="S000002", chain="ministop",
                        reference="20000000005"),  # chain not enabled for S000002
             order_line("T-6", merchant="M000009", reference="1000000000106")]  # unknown merchant
    lines += [order_line(f"F-{i}", reference=f"3{i:012d}") for i in range(filler)]
    out = ingest(ingest_orders_file, orders_file(lines, seq=2))
    assert out.counts == {"orders": filler, "identical": 1, "rejected_rows": 4}
    assert _reasons(con, out.file_id) == [
        (3, "order_id", "conflict: order M000001 T-2 is already registered with different content"),
        (4, "payment_reference",
         "already used by another order of chain seven (references are never reused)"),
        (5, "chain", "chain ministop is not enabled for site S000002"),
        (6, "merchant_id", "unknown merchant: not in the current master data")]
    stored = con.execute("select count(*), count(customer_email) from orders join order_customers"
                         " using (merchant_id, order_id)").fetchone()
    assert stored == (3 + filler, 2 + filler)
