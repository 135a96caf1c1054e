"""The simulated inbox goes through the real pull into a real DuckDB file exactly as the summary says.

One simulation (every anomaly present) is ingested once for the module; the tests read it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from tasks.clock import JST
from tasks.inbox import FileOutcome
from tasks.ingest import pull
from tasks.master import load_master
from tasks.settings import Settings
from tasks.simulate import SimulationSummary, simulate
from tasks.warehouse import Warehouse
from tests.simulate.conftest import LOUD, START

AS_OF = datetime(2027, 1, 31, 7, 0, tzinfo=JST)  # after every simulated file


@dataclass
class Ingested:
    summary: SimulationSummary
    outcomes: list[FileOutcome]
    warehouse: Warehouse
    settings: Settings


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Ingested:
    root = tmp_path_factory.mktemp("simulated")
    settings = Settings(data_dir=root / "data")
    s = simulate(root / "sim", START, 2, 50, 7, anomalies=LOUD, settings=settings)
    warehouse = Warehouse(settings.warehouse_path)
    load_master(warehouse, s.master, datetime(2026, 11, 1, tzinfo=JST))
    outcomes = pull(warehouse, AS_OF, settings, source=str(s.inbox), retry_delays=())
    return Ingested(s, outcomes, warehouse, settings)


def test_every_anomaly_is_present(ingested):
    assert all(ingested.summary.anomalies.values()), ingested.summary.anomalies


def test_every_file_accepted_but_the_broken_ones(ingested):
    s = ingested.summary
    states: dict[tuple[str, str], int] = {}
    for o in ingested.outcomes:
        states[(o.kind, o.state)] = states.get((o.kind, o.state), 0) + 1
    expected = {}
    for kind, n in s.files.items():
        broken = s.corrupt_files.get(kind, 0)
        expected[(kind, "accepted")] = n - broken
        if broken:
            expected[(kind, "quarantined")] = broken
    assert states == expected


def test_events_orders_and_numbers_as_the_summary_says(ingested):
    s = ingested.summary
    with ingested.warehouse.read() as con:
        events = dict(con.execute(
            "select case chain when 'seven' then 'SEJ' when 'famima' then 'FM' else 'CVS' end || ' ' || kind,"
            " count(*) from payment_events group by all").fetchall())
        records = dict(con.execute(
            "select feed || ' ' || kind, count(*) from feed_records group by all").fetchall())
        (orders,) = con.execute("select count(*) from orders").fetchone()
        (bad_lines,) = con.execute(
            "select count(distinct (r.file_id, r.line_no)) from rejections r"
            " join inbound_files f using (file_id) where f.kind = 'ORDERS'").fetchone()
        (cancels,) = con.execute("select count(*) from order_cancellations").fetchone()
        (cancel_rejections,) = con.execute(
            "select count(*) from rejections r join inbound_files f using (file_id)"
            " where f.kind = 'ORDER_CANCELS'").fetchone()
        numbers = con.execute(
            "select kind, list(sequence_no order by sequence_no) from inbound_files"
            " where state = 'accepted' and folder <> 'orders' group by kind").fetchall()
    assert events == s.events
    assert records == s.records
    # a resent record is one more sighting of the same event
    assert sum(records.values()) - sum(events.values()) == s.anomalies["resent_record"] > 0
    assert orders == s.valid_orders
    assert bad_lines == s.bad_order_rows
    assert cancels == s.cancellations and cancel_rejections == 0
    # every number accepted once, except the skipped ones
    for kind, accepted in numbers:
        skipped = s.skipped_numbers.get(kind, [])
        assert accepted == [n for n in range(1, max(accepted) + 1) if n not in skipped], kind


def test_stamp_flags_follow_the_rule_except_the_injected_mismatches(ingested):
    s = ingested.summary
    with ingested.warehouse.read() as con:
        rows = con.execute("""
            with expected as (
                select chain, payment_reference as reference, amount as order_amount,
                       case when chain in ('seven', 'famima', 'daily') or tax_mode = 'non_taxable'
                            then amount >= 50000 else amount - tax_amount >= 50000 end as rule
                from orders)
            select count(distinct r.payment_id) filter (where r.stamp_flag <> e.rule),
                   count(*) filter (where r.barcode is not null and r.barcode_stamp <> e.rule)
            from feed_records r join expected e using (chain, reference)
        """).fetchone()
    mismatched_payments, barcode_mismatches = rows
    assert mismatched_payments == s.anomalies["stamp_mismatch"] > 0
    assert barcode_mismatches == 0  # we issue the barcodes: always by our rule


def test_redelivered_files_change_nothing(ingested):
    """A second pull of the identical copies: every one a duplicate, nothing changes."""
    s = ingested.summary
    assert s.redeliveries
    with ingested.warehouse.read() as con:
        before = con.execute("select count(*), sum(amount) from feed_records").fetchone()
        (files,) = con.execute("select count(*) from inbound_files").fetchone()
    for path in sorted(s.redeliver.glob("*/*")):
        shutil.copyfile(path, s.inbox / path.parent.name / path.name)
    outcomes = pull(ingested.warehouse, AS_OF, ingested.settings, source=str(s.inbox), retry_delays=())
    assert [o.state for o in outcomes] == ["duplicate"] * sum(s.redeliveries.values())
    with ingested.warehouse.read() as con:
        assert con.execute("select count(*), sum(amount) from feed_records").fetchone() == before
        assert con.execute("select count(*) from inbound_files").fetchone() == (files,)


# anomaly -> the exception code rules.md gives it (one per injected order, skipped number)
EXCEPTION_OF = {
    "duplicate_payment": "DUPLICATE_PAYMENT", "late_payment": "PAID_AFTER_DUE",
    "amount_mismatch": "AMOUNT_MISMATCH", "unknown_reference": "UNKNOWN_REFERENCE",
    "confirm_without_prelim": "CONFIRM_WITHOUT_PRELIM", "cancel_without_prelim": "CANCEL_WITHOUT_PRELIM",
    "confirm_after_cancel": "CONFIRM_AFTER_CANCEL", "prelim_not_confirmed": "PRELIM_NOT_CONFIRMED",
    "stamp_mismatch": "STAMP_MISMATCH", "paid_after_cancel": "PAID_AFTER_CANCEL",
    "sequence_gap": "FILE_SEQUENCE_GAP", "unknown_remitter": "UNKNOWN_REMITTER",
}
# short, late and over remittances move a chain's balance: one exception per source and run of days of
# one sign, not one per anomaly (tests/treasury/test_bank_property.py checks them)
BALANCE_CODES = ("REMITTANCE_SHORT", "REMITTANCE_OVER")


def test_reconciliation_raises_one_exception_per_injected_anomaly(ingested):
    from tasks.reconcile.run import reconcile

    with ingested.warehouse.write() as con:  # gaps alert 1 hour after a higher number is accepted
        reconcile(con, AS_OF + timedelta(hours=2))
    with ingested.warehouse.read() as con:
        raised = dict(con.execute("select code, count(*) from exceptions where code not in"
                                  f" {BALANCE_CODES} group by code").fetchall())
    expected = {code: ingested.summary.anomalies[name] for name, code in EXCEPTION_OF.items()}
    assert raised == expected
