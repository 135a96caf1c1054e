"""Helpers of the bank feed's tests (tests/treasury/test_bank_*.py): the spec's samples through the
real pull, BANK_IN files built with the feed's own writer, reading balances and exceptions back."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

from tasks.clock import JST
from tasks.feeds import bank
from tasks.ingest import pull
from tasks.settings import Settings

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "samples"
TREASURY = SAMPLES / "treasury"
SEJ, FM, CVS = "ｾﾌﾞﾝｲﾚﾌﾞﾝｼﾞﾔﾊﾟﾝ", "ﾌｱﾐﾘ-ﾏ-ﾄ", "ｺﾝﾋﾞﾆｴﾝｽｽﾄｱｹﾂｻｲ"


def jst(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=JST)


def deliver_and_pull(warehouse, settings: Settings, files: list[Path], at: datetime) -> list:
    """Copy `files` (each under its folder's name) into the inbox and pull them at `at`."""
    inbox = Path(settings.inbox_url)
    for f in files:
        folder = "bank" if f.name.startswith("BANK_IN_") else f.parent.name  # samples/treasury/bad too
        target = inbox / folder / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
    return pull(warehouse, at, settings, retry_delays=())


def bank_file(settings: Settings, inbox: Path, seq: int, day: date, records: list[dict],
              created_at: datetime | None = None, **header) -> Path:
    """Write a BANK_IN file for `day` (created 18:00 that day) into `inbox`/bank/; returns its path."""
    created = created_at or datetime(day.year, day.month, day.day, 18, 0)
    recs = header.get("records_exact") or [
        {"inquiry_no": i, "booking_date": day, **r} for i, r in enumerate(records, start=1)]
    content = bank.build_file(created, header.get("from_date", day), header.get("to_date", day), recs,
                              settings.payout_account)
    path = inbox / "bank" / f"BANK_IN_{created:%Y%m%d%H%M%S}_{seq:06d}.dat"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def balances(con) -> dict[tuple[str, str], int]:
    rows = con.execute("select source, strftime(day, '%m-%d'), balance from v_chain_balances").fetchall()
    return {(s, d): b for s, d, b in rows}


def treasury_exceptions(con) -> set[tuple]:
    """(code, source or remitter detail, first day, amount, state) of the treasury's exceptions."""
    rows = con.execute(
        "select code, coalesce(source, detail), strftime(bank_day, '%m-%d'), amount, state from v_exceptions"
        " where code in ('REMITTANCE_SHORT', 'REMITTANCE_OVER', 'UNKNOWN_REMITTER')").fetchall()
    return set(rows)
