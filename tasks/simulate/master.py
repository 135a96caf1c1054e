"""Simulated merchant master data and its three CSV files (the format of spec/samples/master)."""

from __future__ import annotations

import random
import string
from datetime import date, timedelta
from pathlib import Path

from zengin_code import Bank

from tasks.kana import to_zengin
from tasks.simulate.model import CHAINS, Merchant, Site
from tasks.simulate.people import merchant_name

# Banks merchants use (all in the zengin-code data set). Never 9900 ゆうちょ銀行: the spec forbids it.
BANK_CODES = ("0001", "0005", "0009", "0010", "0017", "0033", "0036", "0038", "0134", "0177", "0310", "1251")
CYCLES = (1, 2, 6)
# Fee plans as merchants sign them: fixed fee per chain, a percentage, or both.
FEE_PLANS = (
    # plan_id, initial, monthly, seven, lawson, famima, ministop, daily, seicomart, rate_bp
    ("P1", 10000, 3000, 130, 120, 125, 120, 120, 120, 0),
    ("P2", 0, 0, 0, 0, 0, 0, 0, 0, 250),
    ("P3", 5000, 1000, 100, 100, 100, 100, 100, 100, 120),
)
FEE_PLAN_COLUMNS = (
    "plan_id", "initial_fee", "monthly_fee", "fee_seven", "fee_lawson", "fee_famima",
    "fee_ministop", "fee_daily", "fee_seicomart", "rate_bp",
)
MERCHANT_COLUMNS = (
    "merchant_id", "name", "name_kana", "status", "contract_start", "settlement_cycle", "fee_plan",
    "bank_code", "branch_code", "account_type", "account_number", "notify_url", "notify_secret", "email",
)
SITE_COLUMNS = ("site_id", "merchant_id", "url", "chains", "status")
# Chain sets of sites that do not take all six chains (always sorted in CHAINS order when written).
PARTIAL_CHAIN_SETS = (
    ("seven", "famima", "lawson"),
    ("lawson", "ministop", "daily", "seicomart"),
    ("seven", "lawson", "famima", "ministop"),
    ("seven", "famima"),
)
DUE_DAYS = (3, 5, 7, 7, 10, 14, 14, 30)
_SECRET_ALPHABET = string.ascii_letters + string.digits


def make_master(rng: random.Random, merchants: int, start: date) -> tuple[list[Merchant], list[Site]]:
    """`merchants` active merchants (M000001 …) with one or two sites each (S000001 …)."""
    out_m: list[Merchant] = []
    out_s: list[Site] = []
    for i in range(merchants):
        mid = f"M{i + 1:06d}"
        name, kana, slug = merchant_name(i)
        bank = Bank.all[BANK_CODES[rng.randrange(len(BANK_CODES))]]
        branches = list(bank.branches)  # sorted by code in the data set
        notify = rng.random() < 0.5 or i == 0  # the first merchant always takes notifications
        out_m.append(Merchant(
            merchant_id=mid,
            name=name,
            name_kana=to_zengin(kana),
            contract_start=start - timedelta(days=30 + rng.randrange(700)),
            settlement_cycle=CYCLES[i % len(CYCLES)],  # every cycle present from three merchants on
            fee_plan=FEE_PLANS[rng.randrange(len(FEE_PLANS))][0],
            bank_code=bank.code,
            branch_code=branches[rng.randrange(min(len(branches), 60))],
            account_type="1" if rng.random() < 0.8 else "2",
            account_number=f"{rng.randrange(1, 10**7):07d}",
            notify_url=f"https://{slug}.example.jp/hooks/konbini" if notify else "",
            notify_secret="".join(rng.choice(_SECRET_ALPHABET) for _ in range(40)) if notify else "",
            email=f"billing@{slug}.example.jp",
        ))
        for k in range(1 if rng.random() < 0.7 else 2):
            if rng.random() < 0.6:
                chains = CHAINS
            else:
                partial = set(PARTIAL_CHAIN_SETS[rng.randrange(len(PARTIAL_CHAIN_SETS))])
                chains = tuple(c for c in CHAINS if c in partial)
            out_s.append(Site(
                site_id=f"S{len(out_s) + 1:06d}",
                merchant_id=mid,
                url=f"https://{'shop' if k == 0 else 'store'}.{slug}.example.jp",
                chains=chains,
                due_days=DUE_DAYS[rng.randrange(len(DUE_DAYS))],
            ))
    return out_m, out_s


def _csv(rows: list[tuple], header: tuple[str, ...]) -> bytes:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_master(directory: Path, merchants: list[Merchant], sites: list[Site]) -> list[Path]:
    """merchants.csv, sites.csv and fee_plans.csv (UTF-8, LF, header) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "fee_plans.csv": _csv(list(FEE_PLANS), FEE_PLAN_COLUMNS),
        "merchants.csv": _csv([
            (m.merchant_id, m.name, m.name_kana, m.status, m.contract_start.isoformat(), m.settlement_cycle,
             m.fee_plan, m.bank_code, m.branch_code, m.account_type, m.account_number, m.notify_url,
             m.notify_secret, m.email)
            for m in merchants
        ], MERCHANT_COLUMNS),
        "sites.csv": _csv(
            [(s.site_id, s.merchant_id, s.url, "|".join(s.chains), s.status) for s in sites], SITE_COLUMNS
        ),
    }
    paths = []
    for name, content in files.items():
        path = directory / name
        path.write_bytes(content)
        paths.append(path)
    return paths
