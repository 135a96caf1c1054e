"""The spec's sample scenario (samples/README.md) gives exactly its statuses and open exceptions."""

from __future__ import annotations

from tasks.reconcile.run import reconcile

from .conftest import SAMPLE_OPEN, SAMPLE_STATUS, jst, load_sample_facts, open_exceptions, statuses


def test_sample_statuses_and_exceptions_as_of_nov_20(con, facts):
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 20))
    assert statuses(con) == SAMPLE_STATUS
    assert open_exceptions(con) == SAMPLE_OPEN


def test_prelim_not_confirmed_not_yet_at_nov_18_2359(con, facts):
    load_sample_facts(facts)
    reconcile(con, jst(2026, 11, 18, 23, 59))
    assert {c for _, _, c in open_exceptions(con)} == {
        "DUPLICATE_PAYMENT", "PAID_AFTER_DUE", "CONFIRM_WITHOUT_PRELIM", "UNKNOWN_REFERENCE"}
    reconcile(con, jst(2026, 11, 19))
    assert open_exceptions(con) == SAMPLE_OPEN
