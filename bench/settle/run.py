"""Benchmark: settle 10,000 merchants and 10,000,000 confirmed payments in one run.

    .venv/bin/python -m bench.settle.run [--merchants 10000] [--payments 10000000] [--draft-first]

Data is generated in DuckDB SQL straight into the tables the settlement reads (current master and
`payments`, the reconciliation's output): merchants of cycles 1, 2 and 6 with real Zengin bank and
branch codes, payments paid 2026-11-01..30 at the six chains, 3 to 10 days to their 確報 (some miss
their period's cut-off and are carried), 5% with a stamp. One finalizing run as of 2026-12-11 07:00
settles every November period of every cycle and writes the payout files; then a rerun (nothing
left to do) is timed. Results go to docs/benchmarks.md (## Settle).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tasks.clock import JST
from tasks.settings import Settings
from tasks.settle.payouts import write_payout_files
from tasks.settle.run import RunResult, run_settlement
from tasks.warehouse import Warehouse

AS_OF = datetime(2026, 12, 11, 7, 0, tzinfo=JST)


def settle(wh: Warehouse, settings: Settings, as_of: datetime, **options) -> RunResult:
    """One run as the CLI and the daily flow make it (its transaction), then the payout files put on
    disk, timed as a phase of its own."""
    with wh.write() as con:
        result = run_settlement(con, as_of, settings, **options)
    t = time.perf_counter()
    with wh.session() as con:
        write_payout_files(con, settings.out_dir)
    result.timings["files_on_disk"] = round(time.perf_counter() - t, 2)
    return result


def bank_accounts(n: int = 200) -> list[tuple[str, str]]:
    """Real (bank, branch) codes from zengin-code, so the payout files are written for real."""
    from zengin_code import Bank

    out = []
    for code, bank in sorted(Bank.all.items()):
        if code == "9900" or not bank.branches:
            continue
        out.append((code, sorted(bank.branches)[0]))
        if len(out) == n:
            break
    return out


def generate(wh: Warehouse, merchants: int, payments: int) -> None:
    accounts = bank_accounts()
    with wh.write() as con:
        con.execute("insert into master_loads values (1, timestamp '2026-11-01 00:00', 'bench', 'x')")
        con.execute(
            "insert into fee_plans values (1, 'P1', 10000, 3000, 130, 120, 125, 120, 120, 120, 0),"
            " (1, 'P2', 0, 0, 0, 0, 0, 0, 0, 0, 250)"
        )
        con.execute("create temp table accts (k integer, bank varchar, branch varchar)")
        rows = [(i, b, br) for i, (b, br) in enumerate(accounts)]
        con.executemany("insert into accts values (?, ?, ?)", rows)
        con.execute(
            f"""
            insert into merchants
            select 1, 'M' || lpad((r.i + 1)::varchar, 6, '0'), 'ベンチ', 'ｶ)ﾍﾞﾝﾁ' || (r.i % 1000)::varchar,
                   'active', date '2026-01-01', [1, 2, 6][i % 3 + 1], ['P1', 'P2'][i % 2 + 1],
                   a.bank, a.branch, '1', lpad((i % 9999999)::varchar, 7, '0'), null, null, 'b@example.jp'
            from range({merchants}) r(i) join accts a on a.k = r.i % {len(accounts)}
            """
        )
        con.execute(
            f"""
            insert into payments by name
            select md5(i::varchar) as payment_id,
                   ['seven', 'lawson', 'famima', 'ministop', 'daily', 'seicomart'][i % 6 + 1] as chain,
                   lpad(i::varchar, 13, '0') as reference,
                   date '2026-11-01' + (hash(i) % 30)::integer as paid_date,
                   lpad(((hash(i) >> 8) % 24)::varchar, 2, '0') || '0000' as paid_time,
                   '1' as store_code,
                   1000 + (hash(i) >> 16) % 60000 as amount,
                   'M' || lpad(((hash(i) >> 32) % {merchants} + 1)::varchar, 6, '0') as merchant_id,
                   'O' || i::varchar as order_id,
                   true as has_prelim, true as has_confirmed, false as has_cancel, true as live,
                   'order_payment' as role,
                   (hash(i) >> 40) % 20 = 0 as confirmed_stamp,
                   date '2026-11-01' + (hash(i) % 30)::integer
                     + (3 + (hash(i) >> 44) % 8)::integer + interval 6 hour as confirmed_file_created_at,
                   null as holding_code, false as released, false as refunded, true as settleable,
                   timestamp '2026-11-01' as first_ingested_at, timestamp '2026-12-11' as as_of
            from range({payments}) r(i)
            """
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--merchants", type=int, default=10_000)
    ap.add_argument("--payments", type=int, default=10_000_000)
    ap.add_argument("--draft-first", action="store_true", help="a draft run before the finalizing one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        wh = Warehouse(settings.warehouse_path)
        t = time.perf_counter()
        generate(wh, args.merchants, args.payments)
        print(f"generated {args.merchants:,} merchants, {args.payments:,} payments in "
              f"{time.perf_counter() - t:.1f} s")
        if args.draft_first:
            t = time.perf_counter()
            r = settle(wh, settings, AS_OF)
            print(f"draft run: {r.statements.height:,} statements in {time.perf_counter() - t:.1f} s",
                  r.timings)
        t, cpu = time.perf_counter(), time.process_time()
        r = settle(wh, settings, AS_OF, finalize=True, by="bench")
        took, took_cpu = time.perf_counter() - t, time.process_time() - cpu
        print(f"finalizing run: {r.statements.height:,} statements, {len(r.finalized):,} finalized, "
              f"{len(r.payout_dates)} payout files, check_ok={r.check_ok} in {took:.1f} s "
              f"(CPU {took_cpu:.1f} s, all threads)")
        print("phases (s; *_cpu = CPU, all threads):", r.timings)
        print("conservation:", r.conservation)
        with wh.read() as con:
            lines, transfers = con.execute(
                "select (select count(*) from settlement_lines), (select count(*) from payout_transfers)"
            ).fetchall()[0]
        print(f"settlement lines {lines:,}, transfers {transfers:,}")
        t, cpu = time.perf_counter(), time.process_time()
        r2 = settle(wh, settings, AS_OF.replace(hour=8), finalize=True, by="bench")
        print(f"rerun (nothing to do): {r2.statements.height} statements in {time.perf_counter() - t:.1f} s "
              f"(CPU {time.process_time() - cpu:.1f} s)")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
