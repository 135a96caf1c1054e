"""Merchant master data (加盟店マスタ).

Operations keep three UTF-8 CSV files (merchants.csv, sites.csv, fee_plans.csv). `load_master`
validates the set (each file with Pandera, then the rules across files and against what the
warehouse already holds) and loads it whole, in one transaction, as a new `master_loads` row:
loads are append-only and the current master data is the highest load_id. A set with any error
is rejected with every reason (file, line, field, value) and changes nothing; the same set as the
current one makes no new load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
from zengin_code import Bank

from schemas.master import (
    FEE_PLAN_COLUMNS,
    FILES,
    JAPAN_POST_BANK,
    MERCHANT_COLUMNS,
    NAME_KANA_MAX,
    SCHEMAS,
    SITE_COLUMNS,
)
from schemas.orders import failures, parse_date, parse_int
from tasks.clock import naive_jst
from tasks.csv_table import LINE, read_csv
from tasks.errors import KonbiniError
from tasks.inbox import Reason
from tasks.kana import to_zengin
from tasks.master_store import still_needed_reasons
from tasks.notify.targets import problem as notify_url_problem
from tasks.notify.targets import redact as redact_url
from tasks.warehouse import Warehouse, transaction


class MasterRejected(KonbiniError):
    """The master set has errors; nothing was loaded. `reasons` holds every one of them."""

    def __init__(self, directory: Path, reasons: list[Reason]):
        self.directory = directory
        self.reasons = reasons
        super().__init__(
            f"master data in {directory} rejected with {len(reasons)} reason(s); nothing was loaded:\n"
            + "\n".join(f"  {r}" for r in reasons)
        )


@dataclass(frozen=True)
class MasterLoadResult:
    load_id: int  # the current load after this call (with dry_run: what it would be)
    new_load: bool  # False when the set equals the current load
    sha256: str
    merchants: int
    sites: int
    fee_plans: int


def read_master_set(directory: Path) -> dict[str, bytes | None]:
    """The bytes of each of the three files (None when missing), read once."""
    paths = {name: Path(directory) / name for name in FILES}
    return {name: (p.read_bytes() if p.is_file() else None) for name, p in paths.items()}


def master_set_sha256(contents: dict[str, bytes | None]) -> str:
    """One digest of the three files (name, size and bytes of each, in a fixed order)."""
    h = hashlib.sha256()
    for name in FILES:
        content = contents.get(name) or b""
        h.update(f"{name}\0{len(content)}\0".encode())
        h.update(content)
    return h.hexdigest()


def validate_master(
    directory: Path, contents: dict[str, bytes | None] | None = None
) -> tuple[dict[str, pl.DataFrame], list[Reason]]:
    """Typed frames of the set and every reason it cannot be loaded (empty when it can).

    Only what the files say is judged here; `load_master` adds what the warehouse still needs.
    Frames: `merchants` (name_kana converted to the Zengin set), `sites` (chains as a list),
    `fee_plans`; each with the column LINE.
    """
    directory = Path(directory)
    contents = read_master_set(directory) if contents is None else contents
    reasons: list[Reason] = []
    raw: dict[str, pl.DataFrame] = {}
    for name, columns in FILES.items():
        content = contents.get(name)
        if content is None:
            reasons.append(Reason(f"file is missing from {directory}", file=name))
            continue
        table = read_csv(content, columns)
        reasons += [replace(r, file=name) for r in table.file_reasons + table.row_reasons]
        if table.frame is None:
            continue
        frame = table.frame.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
        failed = failures(SCHEMAS[name], frame)
        reasons += _located(name, frame, failed)
        raw[name] = frame.with_columns(pl.col("row").is_in(failed["row"].implode()).not_().alias("form_ok"))

    if "merchants.csv" in raw:
        reasons += kana_reasons(raw["merchants.csv"])
        reasons += bank_reasons(raw["merchants.csv"])
        reasons += _notify_url_reasons(raw["merchants.csv"])
    keys = {"merchants.csv": "merchant_id", "sites.csv": "site_id", "fee_plans.csv": "plan_id"}
    for name, key in keys.items():
        if name in raw:
            reasons += _duplicate_reasons(name, raw[name], key)
    if "sites.csv" in raw and "merchants.csv" in raw:
        reasons += _unknown_reasons("sites.csv", raw["sites.csv"], "merchant_id", raw["merchants.csv"],
                                    "merchant_id", "unknown merchant: not in merchants.csv")
    if "merchants.csv" in raw and "fee_plans.csv" in raw:
        reasons += _unknown_reasons("merchants.csv", raw["merchants.csv"], "fee_plan", raw["fee_plans.csv"],
                                    "plan_id", "unknown fee plan: not in fee_plans.csv")
    frames = _typed(raw) if not reasons else {}
    return frames, _sorted(reasons)


def load_master(
    target: Warehouse | duckdb.DuckDBPyConnection, directory: Path, as_of: datetime, *, dry_run: bool = False
) -> MasterLoadResult:
    """Validate and load the master set in `directory` as the new current load (one transaction).

    `target` is a Warehouse (locked, migrated, its own transaction) or a connection without an open
    transaction (this unit of work opens its own). Raises MasterRejected with every reason.
    With `dry_run`, everything is checked and nothing written: the result tells what a load would do.
    """
    directory = Path(directory)
    if isinstance(target, Warehouse):
        with target.session() as con:
            return load_master(con, directory, as_of, dry_run=dry_run)
    con = target
    contents = read_master_set(directory)
    frames, reasons = validate_master(directory, contents)
    digest = master_set_sha256(contents)
    with transaction(con):
        if not reasons:
            reasons = still_needed_reasons(con, frames)
        if reasons:
            raise MasterRejected(directory, reasons)
        [current] = con.execute(
            "select load_id, sha256 from master_loads order by load_id desc limit 1"
        ).fetchall() or [None]
        counts = {k: frames[k].height for k in ("merchants", "sites", "fee_plans")}
        if current is not None and current[1] == digest:
            return MasterLoadResult(current[0], False, digest, **counts)
        load_id = (current[0] if current else 0) + 1
        if dry_run:
            return MasterLoadResult(load_id, True, digest, **counts)
        con.execute("insert into master_loads values (?, ?, ?, ?)",
                    [load_id, naive_jst(as_of), str(directory.resolve()), digest])
        for table, frame in frames.items():
            name = f"konbini_master_{table}"
            con.register(name, frame.drop(LINE).with_columns(pl.lit(load_id).alias("load_id")))
            try:
                cols = ", ".join(c for c in _TABLE_COLUMNS[table])
                con.execute(f"insert into {table} ({cols}) select {cols} from {name}")
            finally:
                con.unregister(name)
    return MasterLoadResult(load_id, True, digest, **counts)


_TABLE_COLUMNS = {
    "merchants": ("load_id", *MERCHANT_COLUMNS),
    "sites": ("load_id", *SITE_COLUMNS),
    "fee_plans": ("load_id", *FEE_PLAN_COLUMNS),
}


def _located(file: str, frame: pl.DataFrame, failed: pl.DataFrame) -> list[Reason]:
    if failed.is_empty():
        return []
    values = frame.unpivot(index=["row", LINE], variable_name="field", value_name="value")
    rows = failed.join(values, on=["row", "field"], how="left")
    return [Reason(r["reason"], r[LINE], r["field"], _shown(r["field"], r["value"]), file=file)
            for r in rows.iter_rows(named=True)]


def _shown(field: str, value: str | None) -> str | None:
    """What a reason may show of a value: never a secret, never a URL's user:password."""
    if field == "notify_secret" and value:
        return f"({len(value)} characters, not shown)"
    return redact_url(value) if field == "notify_url" else value


def _notify_url_reasons(merchants: pl.DataFrame) -> list[Reason]:
    """An https notify_url must be a target notifications may be posted to (tasks.notify.targets)."""
    rows = merchants.filter(pl.col("notify_url").str.starts_with("https://")).select(LINE, "notify_url")
    return [Reason(why, line, "notify_url", redact_url(url), file="merchants.csv")
            for line, url in rows.iter_rows() if (why := notify_url_problem(url)) is not None]


def kana_reasons(merchants: pl.DataFrame) -> list[Reason]:
    """name_kana must fit the Zengin character set (full-width input is converted) and 30 characters."""
    reasons = []
    for line, value in merchants.select(LINE, "name_kana").iter_rows():
        if not value:
            continue
        try:
            converted = to_zengin(value)
        except ValueError as e:
            reasons.append(Reason(str(e), line, "name_kana", value, file="merchants.csv"))
            continue
        if len(converted) > NAME_KANA_MAX:
            reasons.append(Reason(
                f"is {len(converted)} characters in half-width kana ({converted}); "
                f"the Zengin holder name holds at most {NAME_KANA_MAX}", line, "name_kana", value,
                file="merchants.csv"))
    return reasons


def bank_reasons(merchants: pl.DataFrame) -> list[Reason]:
    """The bank and branch must be in the Zengin bank-code data (payouts take their names from it)."""
    reasons = []
    rows = merchants.filter(
        pl.col("bank_code").str.contains(r"^[0-9]{4}$") & pl.col("branch_code").str.contains(r"^[0-9]{3}$")
        & (pl.col("bank_code") != JAPAN_POST_BANK)
    ).select(LINE, "bank_code", "branch_code")
    for line, bank_code, branch_code in rows.iter_rows():
        bank = Bank.all.get(bank_code)
        if bank is None:
            reasons.append(Reason("unknown bank: not in the Zengin bank-code data", line, "bank_code",
                                  bank_code, file="merchants.csv"))
        elif branch_code not in bank.branches:
            reasons.append(Reason(f"unknown branch of bank {bank_code}: not in the Zengin bank-code data",
                                  line, "branch_code", branch_code, file="merchants.csv"))
    return reasons


def _duplicate_reasons(file: str, frame: pl.DataFrame, key: str) -> list[Reason]:
    repeats = frame.with_columns(pl.col(LINE).first().over(key).alias("first")).filter(
        pl.col(LINE) != pl.col("first")
    )
    return [Reason(f"duplicate {key}: also at line {first}", line, key, value, file=file)
            for line, value, first in repeats.select(LINE, key, "first").iter_rows()]


def _unknown_reasons(file, frame, column, other, other_key, reason) -> list[Reason]:
    missing = frame.filter(pl.col("form_ok") & ~pl.col(column).is_in(other[other_key].implode()))
    return [Reason(reason, line, column, value, file=file)
            for line, value in missing.select(LINE, column).iter_rows()]


def _typed(raw: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The frames as the warehouse stores them (only called for a set without reasons)."""
    m = raw["merchants.csv"]
    merchants = m.with_columns(
        pl.Series("name_kana", [to_zengin(v) for v in m["name_kana"]], dtype=pl.String),
        parse_date("contract_start").alias("contract_start"),
        pl.col("settlement_cycle").cast(pl.Int32),
        pl.when(pl.col("notify_url") != "").then(pl.col("notify_url")).alias("notify_url"),
        pl.when(pl.col("notify_secret") != "").then(pl.col("notify_secret")).alias("notify_secret"),
    )
    sites = raw["sites.csv"].with_columns(pl.col("chains").str.split("|"))
    plans = raw["fee_plans.csv"].with_columns(parse_int(c).alias(c) for c in _TABLE_COLUMNS["fee_plans"][2:])
    return {
        name: frame.select(LINE, *[c for c in _TABLE_COLUMNS[name] if c != "load_id"])
        for name, frame in (("merchants", merchants), ("sites", sites), ("fee_plans", plans))
    }


def _sorted(reasons: list[Reason]) -> list[Reason]:
    order = {name: i for i, name in enumerate(FILES)}
    pos = {name: {c: i for i, c in enumerate(cols)} for name, cols in FILES.items()}

    def key(r: Reason):
        return (order.get(r.file, 9), r.line_no or 0, pos.get(r.file, {}).get(r.field or "", -1), r.reason)

    return sorted(set(reasons), key=key)
