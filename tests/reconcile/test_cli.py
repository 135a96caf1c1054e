"""`konbini exceptions show` on the sample scenario pulled for real: the order beside the payment."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.reconcile.run import reconcile

from .conftest import jst


@pytest.fixture
def reconciled(warehouse, settings, sample_inbox, sample_master):
    from tasks.ingest import pull
    from tasks.master import load_master

    load_master(warehouse, sample_master, jst(2026, 11, 1))
    pull(warehouse, jst(2026, 11, 10, 7), settings, retry_delays=())
    with warehouse.write() as con:
        reconcile(con, jst(2026, 11, 20))
        rows = con.execute("select exception_id from exceptions where code = 'PAID_AFTER_DUE'").fetchall()
    return rows[0][0]


def _row(output: str, label: str, table: str = "the payment beside its order") -> list[str]:
    """The cells of the row of `table` whose first cell is `label`."""
    for line in output.split(table, 1)[1].splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in\n{output}")


def test_show_gives_the_order_beside_the_payment_and_its_events(reconciled):
    r = CliRunner().invoke(app, ["exceptions", "show", reconciled])
    assert r.exit_code == 0, r.output
    # order A-1006 of 5,000 yen was due 2026-11-03 and is expired; its payment came on the 4th
    assert _row(r.output, "amount")[-2:] == ["5000", "5000"]
    assert _row(r.output, "date")[-2:] == ["2026-11-04", "2026-11-03"]
    assert _row(r.output, "status")[-2:] == ["extra", "expired"]
    assert _row(r.output, "id")[-1] == "A-1006"
    assert _row(r.output, "01", "its events")[2] == "cvs/CVS_20261104170000_000001.csv"


def test_the_flow_checks_its_parameters_before_any_work(prefect_harness, reconciled, warehouse):
    """A run started from the Prefect UI with a bad parameter fails at once, with the CLI's sentence."""
    from flows.reconcile import reconcile as reconcile_flow
    from tasks.errors import KonbiniError

    def runs() -> int:
        with warehouse.read() as con:
            return con.execute("select count(*) from reconcile_runs").fetchall()[0][0]

    before = runs()
    with pytest.raises(KonbiniError, match="merchant M999999: no such merchant in the master data"):
        reconcile_flow(merchant="M999999")
    with pytest.raises(KonbiniError, match="since 2026-11-20 00:00 is after until 2026-11-01 00:00"):
        reconcile_flow(since=jst(2026, 11, 20), until=jst(2026, 11, 1))
    assert runs() == before
