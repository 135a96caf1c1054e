"""Returned payouts (振込不能・組戻し): a payout transfer that came back to our account.

An operator names the transfer (payout date and merchant) and the incoming bank record that brought
the money back (勘定日/照会番号); the amounts must be equal. The record is claimed
(`bank_transfer_claims`), so it is never an UNKNOWN_REMITTER. The money is then returned and
waiting: the next finalizing settlement run pays it again on a line of its own (返却分再振込) in its
payout file, once the merchant's current master account differs from the one it went to
(`due_repayments`). It is never netted against fees again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.lookups import require_merchant
from tasks.treasury.conservation import require_conserved

BANK_RECORD = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})/([0-9]{6})")
ACCOUNT = ("bank_code", "branch_code", "account_type", "account_number")


@dataclass(frozen=True)
class ReturnedPayout:
    return_id: str
    merchant_id: str
    payout_date: date
    amount: int
    transfer_id: str


@dataclass(frozen=True)
class Repayment:
    """A returned payout to pay again in this run's payout file, to the merchant's current account."""

    return_id: str
    merchant_id: str
    amount: int
    name_kana: str
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str


def parse_bank_record(text: str, arg: str = "--bank-record") -> tuple[date, str]:
    """勘定日/照会番号, e.g. 2026-11-17/000123."""
    m = BANK_RECORD.fullmatch(text or "")
    try:
        booking = date.fromisoformat(m.group(1)) if m else None
    except ValueError:
        booking = None
    if m is None or booking is None:
        raise KonbiniError(
            f"{arg} {text!r} is not 勘定日/照会番号 (YYYY-MM-DD/6 digits, e.g. 2026-11-17/000123)")
    return booking, m.group(2)


def received_transfer(con: duckdb.DuckDBPyConnection, booking: date, inquiry: str, at: datetime,
                      arg: str = "--bank-record") -> tuple[str, int, str]:
    """(transfer_id, amount, remitter name) of a received, unclaimed bank record; KonbiniError else."""
    row = con.execute(
        "select transfer_id, amount, remitter_name from bank_transfers_as_of($at) "
        "where booking_date = $d and inquiry_no = $n",
        {"at": naive_jst(at), "d": booking, "n": inquiry},
    ).fetchone()
    if row is None:
        raise KonbiniError(f"{arg} {booking}/{inquiry}: no such received transfer in the bank files")
    claim = con.execute(
        "select claimed_by, claim_id from bank_transfer_claims where transfer_id = ?", [row[0]]
    ).fetchone()
    if claim is not None:
        raise KonbiniError(f"{arg} {booking}/{inquiry}: already matched to {claim[0]} {claim[1]}")
    return row[0], int(row[1]), row[2]


def _candidates(con: duckdb.DuckDBPyConnection, merchant_id: str, payout_date: date) -> list[tuple]:
    """Transfers of that merchant and payout date not returned yet: (kind, repaid return, amount,
    account…). The regular payout, and any repayment written into that date's file."""
    return con.execute(
        f"""
        select 'payout', null, amount, {", ".join(ACCOUNT)} from payout_transfers
        where merchant_id = $m and payout_date = $d
          and not exists (select 1 from returned_payouts r where r.merchant_id = $m and r.payout_date = $d
                          and r.returned_kind = 'payout')
        union all
        select 'repayment', return_id, amount, {", ".join(ACCOUNT)} from payout_repayments p
        where merchant_id = $m and payout_date = $d
          and return_id not in (select repaid_return from returned_payouts where repaid_return is not null)
        order by 1, 2
        """,
        {"m": merchant_id, "d": payout_date},
    ).fetchall()


def record_return(
    con: duckdb.DuckDBPyConnection, *, payout_date: date, merchant_id: str, reason: str, bank_record: str,
    by: str, at: datetime,
) -> ReturnedPayout:
    """Record a returned payout in the caller's transaction, or refuse it (KonbiniError)."""
    if not reason or not reason.strip():
        raise KonbiniError("--reason: say why the transfer came back (e.g. 口座なし)")
    booking, inquiry = parse_bank_record(bank_record)
    require_merchant(con, merchant_id, "--merchant")
    transfer_id, amount, _ = received_transfer(con, booking, inquiry, at)
    if booking < payout_date:
        raise KonbiniError(f"--bank-record {bank_record}: booked on {booking}, before the payout date "
                           f"{payout_date}; a returned transfer comes back after it was paid")
    open_ = _candidates(con, merchant_id, payout_date)
    if not open_:
        raise KonbiniError(f"--merchant {merchant_id} --payout-date {payout_date}: no payout transfer to "
                           "return (none was paid, or it is already recorded as returned)")
    match = [c for c in open_ if c[2] == amount]
    if not match:
        amounts = ", ".join(f"{c[2]:,}" for c in open_)
        raise KonbiniError(f"--bank-record {bank_record}: {amount:,} yen, but the transfer to {merchant_id} "
                           f"on {payout_date} was {amounts} yen; the amounts must be equal")
    kind, repaid, _, *account = match[0]
    n = con.execute("select count(*) from returned_payouts where merchant_id = ? and payout_date = ?",
                    [merchant_id, payout_date]).fetchone()[0]
    return_id = f"RP-{merchant_id}-{payout_date:%Y%m%d}-{n + 1}"
    decided_at = naive_jst(at)
    con.execute(
        "insert into returned_payouts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [return_id, merchant_id, payout_date, kind, repaid, amount, *account, transfer_id, reason.strip(),
         by, decided_at],
    )
    con.execute("insert into bank_transfer_claims values (?, 'returned_payout', ?, ?, ?)",
                [transfer_id, return_id, decided_at, by])
    require_conserved(con, f"payouts return {return_id}")
    return ReturnedPayout(return_id, merchant_id, payout_date, amount, transfer_id)


def due_repayments(
    con: duckdb.DuckDBPyConnection, merchants_table: str = "current_merchants"
) -> list[Repayment]:
    """Returned payouts waiting whose merchant's current account differs from the one the money
    came back from: to pay again now. The others keep waiting."""
    rows = con.execute(
        f"""
        select r.return_id, r.merchant_id, r.amount, m.name_kana, m.bank_code, m.branch_code,
               m.account_type, m.account_number
        from returned_payouts r join {merchants_table} m using (merchant_id)
        where r.return_id not in (select return_id from payout_repayments)
          and (m.bank_code, m.branch_code, m.account_type, m.account_number)
              <> (r.bank_code, r.branch_code, r.account_type, r.account_number)
        order by r.return_id
        """
    ).fetchall()
    return [Repayment(*r) for r in rows]


def waiting(con: duckdb.DuckDBPyConnection, merchant_id: str | None = None) -> list[dict]:
    """Returned payouts not paid again yet (for statements and the operations summary)."""
    rows = con.execute(
        """
        select return_id, merchant_id, payout_date, amount, reason, returned_booking_date
        from v_returned_payouts where state = 'waiting' and ($m is null or merchant_id = $m)
        order by merchant_id, payout_date, return_id
        """,
        {"m": merchant_id},
    ).fetchall()
    keys = ("return_id", "merchant_id", "payout_date", "amount", "reason", "returned_on")
    return [dict(zip(keys, r, strict=True)) for r in rows]
