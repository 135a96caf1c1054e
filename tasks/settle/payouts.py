"""Payout files (総合振込): one Zengin file per payout date of the finalized settlements.

One transfer per merchant and payout date: the sum of the positive nets of its settlements with that
date (a moved payout date can meet the next one). The bytes are stored in `payout_files` in the
finalizing transaction and put on disk after the commit (`write_payout_files`), so a crash in
between is repaired by the next run.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from tasks.settings import Settings
from tasks.settle.tables import RunTables
from tasks.settle.zengin import Account, Remitter, Transfer, bank_names, read_trailer, write_payout_file
from tasks.treasury.returns import Repayment

FOLDER = "payouts"  # under the data's out folder


def payout_file_name(d: date) -> str:
    return f"ZENGIN_{d:%Y%m%d}.txt"


def payout_file_path(out_dir: Path, d: date) -> Path:
    return out_dir / FOLDER / payout_file_name(d)


def our_remitter(settings: Settings) -> Remitter:
    """Our payout account as the files' remitter; ValueError when Zengin data does not know it."""
    acct = settings.payout_account
    bank_kana, branch_kana = bank_names(acct.bank_code, acct.branch_code)
    return Remitter(
        acct.remitter_code, acct.remitter_name,
        Account(acct.bank_code, bank_kana, acct.branch_code, branch_kana, acct.account_type,
                acct.account_number),
    )


def repayment_date(files: dict[date, bytes | str] | list[date]) -> date | None:
    """The payout file of a run that carries its repayments (返却分再振込): its earliest date."""
    return min(files) if files else None


def build_files(
    con: duckdb.DuckDBPyConnection, t: RunTables, settings: Settings, stmts: pl.DataFrame, chosen: list[str],
    repayments: list[Repayment] = (),
) -> dict[date, bytes | str]:
    """payout date -> file bytes (or the reason it cannot be written) of the chosen settlements;
    returned payouts to pay again are lines of their own at the end of the earliest file."""
    try:
        remitter = our_remitter(settings)
    except ValueError as e:
        return {d: f"our payout account: {e}" for d in stmts["payout_date"].unique().to_list()}
    sel = stmts.filter(pl.col("settlement_id").is_in(chosen))
    accounts = {r[0]: r[1:] for r in con.execute(
        "select merchant_id, name_kana, bank_code, branch_code, account_type, account_number "
        f"from {t.merchants}").fetchall()}
    out: dict[date, bytes | str] = {}
    first = repayment_date(sel["payout_date"].to_list())
    for (pd_,), group in sel.group_by(["payout_date"], maintain_order=True):
        per_merchant = (
            group.filter(pl.col("net") > 0).group_by("merchant_id").agg(pl.col("net").sum())
            .sort("merchant_id")
        )
        try:
            transfers = [_transfer(merchant_id, int(amount), accounts[merchant_id])
                         for merchant_id, amount in per_merchant.iter_rows()]
            if pd_ == first:
                transfers += [_transfer(r.return_id, r.amount, (r.name_kana, r.bank_code, r.branch_code,
                                                                r.account_type, r.account_number))
                              for r in repayments]
            out[pd_] = write_payout_file(remitter, pd_, transfers)
        except ValueError as e:
            out[pd_] = f"payout file of {pd_}: {e}"
    return out


def _transfer(merchant_id: str, amount: int, account: tuple) -> Transfer:
    name_kana, bank, branch, atype, number = account
    try:
        bk, brk = bank_names(bank, branch)
    except ValueError as e:
        raise ValueError(f"{merchant_id}: {e}") from None
    return Transfer(Account(bank, bk, branch, brk, atype, number), name_kana, amount, merchant_id)


def store_files(
    con: duckdb.DuckDBPyConnection, t: RunTables, run_id: int, files: dict[date, bytes | str],
    repayments: list[Repayment] = (),
) -> None:
    """The finalized payout files, their transfers and repayments, in the finalizing transaction."""
    for d, content in sorted(files.items()):
        assert isinstance(content, bytes)
        count, total = read_trailer(content)
        con.execute(
            "insert into payout_files values (?, ?, ?, ?, ?, ?, ?)",
            [d, run_id, payout_file_name(d), hashlib.sha256(content).hexdigest(), count, total, content],
        )
    con.execute(
        f"""
        insert into payout_transfers
        select s.payout_date, s.merchant_id, sum(s.net), m.bank_code, m.branch_code, m.account_type,
               m.account_number
        from {t.output} s join {t.merchants} m using (merchant_id)
        where s.state = 'finalized' and s.net > 0
        group by all
        """
    )
    d = repayment_date(files)
    for r in repayments:
        con.execute("insert into payout_repayments values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [r.return_id, r.merchant_id, d, run_id, r.amount, r.bank_code, r.branch_code,
                     r.account_type, r.account_number])


def write_payout_files(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Put every payout file of the warehouse on disk under <out>/payouts (after the commit; a crash
    before this is repaired by the next run)."""
    rows = con.execute("select file_name, sha256, content from payout_files order by payout_date").fetchall()
    return put_on_disk(out_dir / FOLDER, rows)


def put_on_disk(target: Path, rows: list[tuple[str, str, bytes]]) -> list[Path]:
    """(file name, sha256, bytes) written under `target`: atomic per file; unchanged files are left
    alone. Shared by payout and refund files."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sha, content in rows:
        path = target / name
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha:
            continue
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(content)
        os.replace(tmp, path)
        written.append(path)
    return written
