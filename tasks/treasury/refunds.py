"""Refunds paid to customers (返金振込, treasury.md).

A payment resolved `refund` is owed to its customer until an operator says how it is paid: the
customer's account, checked exactly as a merchant's in the master data (the master's own checks:
Zengin bank-code data, no bank 9900, Zengin characters). The transfer goes into the Zengin 総合振込
file of the next bank business day after the instruction, one file per day under
`<data>/out/refunds/`, written by the payouts' writer; each instruction writes a new version of that
day's file (all of the day's refunds), kept in `refund_files`, put on disk after the commit.

The customer's account and name are personal data: they stay in `refund_payments` and the file
(both emptied in the analysts' copy), never in views, logs or merchant reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from schemas.master import MERCHANTS
from schemas.orders import failures
from tasks.bank_calendar import add_business_days
from tasks.clock import jst, naive_jst
from tasks.csv_table import LINE
from tasks.errors import KonbiniError
from tasks.kana import to_zengin
from tasks.lookups import require_exception

# The master's checks of an account, reused (not copied): its Pandera columns and its Zengin rules.
from tasks.master import bank_reasons, kana_reasons
from tasks.settings import Settings
from tasks.settle.payouts import our_remitter, put_on_disk
from tasks.settle.zengin import Account, Transfer, bank_names, read_trailer, write_payout_file
from tasks.treasury.conservation import require_conserved

FOLDER = "refunds"  # under the data's out folder
OPTIONS = {"bank_code": "--bank", "branch_code": "--branch", "account_type": "--type",
           "account_number": "--account", "name_kana": "--name"}
PERSONAL = ("account_number", "name_kana")
ACCOUNT_SCHEMA = MERCHANTS.select_columns([c for c in OPTIONS if c != "name_kana"])


@dataclass(frozen=True)
class CustomerAccount:
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_name: str  # as given; converted to the Zengin set when checked


@dataclass(frozen=True)
class RefundPaid:
    exception_id: str
    amount: int
    transfer_date: date
    file_name: str


def refund_file_name(d: date) -> str:
    return f"ZENGIN_REFUNDS_{d:%Y%m%d}.txt"


def check_account(acct: CustomerAccount) -> CustomerAccount:
    """The account as a merchant's would be checked; KonbiniError naming the option and the reason."""
    frame = pl.DataFrame({
        LINE: [1], "row": [0], "bank_code": [acct.bank_code], "branch_code": [acct.branch_code],
        "account_type": [acct.account_type], "account_number": [acct.account_number],
        "name_kana": [acct.holder_name],
    })
    problems = [(r["field"], r["reason"]) for r in failures(ACCOUNT_SCHEMA, frame).iter_rows(named=True)]
    if not problems:
        problems = [(r.field, r.reason) for r in bank_reasons(frame)]
    if not acct.holder_name.strip():
        problems.append(("name_kana", "must not be empty"))
    problems += [(r.field, r.reason) for r in kana_reasons(frame)]
    if problems:
        field, reason = problems[0]
        # the account number and the holder's name are personal data: never echoed (logs, terminals)
        value = frame[field][0]
        shown = "" if field in PERSONAL else f" {value!r}"
        if field in PERSONAL:
            reason = _without(reason, value)
        raise KonbiniError(f"{OPTIONS[field]}{shown}: {reason}")
    return CustomerAccount(acct.bank_code, acct.branch_code, acct.account_type, acct.account_number,
                           to_zengin(acct.holder_name))


def _without(reason: str, value: str) -> str:
    """A reason with the value (as given, or converted to half-width kana) left out."""
    try:
        forms = {value, to_zengin(value)}
    except ValueError:
        forms = {value}
    for form in sorted(forms, key=len, reverse=True):
        reason = reason.replace(f" ({form})", "").replace(form, "…") if form else reason
    return " ".join(reason.split())


def _owed(con: duckdb.DuckDBPyConnection, exception_id: str) -> tuple[str, str | None, int]:
    """(payment id, merchant id, amount) of a refund still owed; KonbiniError otherwise."""
    require_exception(con, exception_id, "exception")
    row = con.execute(
        """
        select r.action, e.payment_id, e.merchant_id, p.amount, p.has_confirmed, f.transfer_date
        from exceptions e left join exception_resolutions r using (exception_id)
        left join payments p on p.payment_id = e.payment_id
        left join refund_payments f on f.exception_id = e.exception_id
        where e.exception_id = ?
        """,
        [exception_id],
    ).fetchone()
    action, payment_id, merchant_id, amount, confirmed, paid_on = row
    if action != "refund":
        raise KonbiniError(f"exception {exception_id}: not resolved `refund` (resolution: "
                           f"{action or 'none'}); only a refund owed to a customer is paid")
    if paid_on is not None:
        raise KonbiniError(f"exception {exception_id}: its refund is already instructed for {paid_on}")
    if not confirmed:
        raise KonbiniError(f"exception {exception_id}: the payment has no 02 (確報) yet; the chain has not "
                           "passed the money on, so there is nothing to refund yet")
    return payment_id, merchant_id, int(amount)


def pay(con: duckdb.DuckDBPyConnection, exception_id: str, account: CustomerAccount, settings: Settings,
        by: str, at: datetime) -> RefundPaid:
    """Record how a refund is paid and write the day's refund file anew, in the caller's transaction."""
    acct = check_account(account)
    payment_id, merchant_id, amount = _owed(con, exception_id)
    transfer_date = add_business_days(jst(at).date(), 1)
    con.execute(
        "insert into refund_payments values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [exception_id, payment_id, merchant_id, amount, transfer_date, acct.bank_code, acct.branch_code,
         acct.account_type, acct.account_number, acct.holder_name, by, naive_jst(at)],
    )
    name = _write_day_file(con, transfer_date, settings, naive_jst(at))
    require_conserved(con, f"refunds pay {exception_id}")
    return RefundPaid(exception_id, amount, transfer_date, name)


def _write_day_file(con: duckdb.DuckDBPyConnection, d: date, settings: Settings, at: datetime) -> str:
    rows = con.execute(
        "select exception_id, bank_code, branch_code, account_type, account_number, holder_name, amount "
        "from refund_payments where transfer_date = ? order by decided_at, exception_id", [d]).fetchall()
    try:
        transfers = []
        for ex, bank, branch, atype, number, holder, amount in rows:
            bank_kana, branch_kana = bank_names(bank, branch)
            transfers.append(Transfer(Account(bank, bank_kana, branch, branch_kana, atype, number), holder,
                                      amount, ex))
        content = write_payout_file(our_remitter(settings), d, transfers)
    except ValueError as e:
        raise KonbiniError(f"refund file of {d}: {e}") from None
    count, total = read_trailer(content)
    version = con.execute("select coalesce(max(version), 0) + 1 from refund_files where transfer_date = ?",
                          [d]).fetchone()[0]
    name = refund_file_name(d)
    con.execute("insert into refund_files values (?, ?, ?, ?, ?, ?, ?, ?)",
                [d, version, name, hashlib.sha256(content).hexdigest(), count, total, content, at])
    return name


def write_refund_files(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """The latest version of each day's refund file on disk under <out>/refunds (after the commit)."""
    rows = con.execute(
        "select arg_max(file_name, version), arg_max(sha256, version), arg_max(content, version) "
        "from refund_files group by transfer_date order by transfer_date").fetchall()
    return put_on_disk(out_dir / FOLDER, rows)


def owed(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Refunds owed to customers and not instructed yet (no bank details), for the summary."""
    rows = con.execute(
        "select exception_id, merchant_id, amount, refund_decided_at from v_refunds where state = 'owed' "
        "order by refund_decided_at, exception_id").fetchall()
    return [dict(zip(("exception_id", "merchant_id", "amount", "decided_at"), r, strict=True)) for r in rows]
