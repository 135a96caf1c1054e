"""Daily settlement (精算): statements for every merchant whose cut-off has passed, finalized on the
first run after the cut-off, payout files written, the analysts' copy refreshed.

Scheduled daily at 07:00 JST by the service (flows/serve.py), after the 確報 files of ~06:00.
"""

from __future__ import annotations

from datetime import datetime

from prefect.cache_policies import NO_CACHE

from flows import runtime
from tasks import clock
from tasks.settings import get_settings
from tasks.settle.payouts import write_payout_files
from tasks.settle.run import run_settlement
from tasks.warehouse import open_warehouse

_TASK = {"cache_policy": NO_CACHE, "persist_result": False}


@runtime.task(name="settlement-run", **_TASK)
def settlement_run(as_of: datetime, finalize: bool) -> dict:
    settings = get_settings()
    with open_warehouse(settings).write() as con:
        r = run_settlement(con, as_of, settings, finalize=finalize, by="flow:settle")
    return {
        "run_id": r.run_id, "check_ok": r.check_ok, "failures": r.failures,
        "settlements": r.statements.height, "finalized": r.finalized,
        "payout_dates": [d.isoformat() for d in r.payout_dates], "conservation": r.conservation,
        "changes": r.changes.height,
    }


@runtime.task(name="write-payout-files", **_TASK)
def payout_files() -> list[str]:
    settings = get_settings()
    with open_warehouse(settings).session() as con:
        return [str(p) for p in write_payout_files(con, settings.out_dir)]


@runtime.flow(name="settle", log_prints=False)
def settle(as_of: datetime | None = None, finalize: bool = True) -> dict:
    """One settlement run as of `as_of` (default now, JST); finalizes what is due unless told not to."""
    as_of = clock.jst(as_of) if as_of else clock.now()
    summary = settlement_run(as_of, finalize)
    summary["files_written"] = payout_files()
    open_warehouse().publish()
    log = runtime.logger()
    log.info(
        "settlement run %d at %s: %d statements, %d finalized, payout files %s",
        summary["run_id"], as_of.isoformat(), summary["settlements"], len(summary["finalized"]),
        summary["payout_dates"],
    )
    if not summary["check_ok"]:
        log.error("settlement run %d failed its checks, nothing finalized: %s", summary["run_id"],
                  "; ".join(summary["failures"]))
        raise RuntimeError(f"settlement run {summary['run_id']} failed its checks: "
                           + "; ".join(summary["failures"]))
    return summary
