"""Benchmark: 1,000 settlement statements of about 50 payment lines each, rendered on both cores.

    .venv/bin/python -m bench.reports.statements [--count 1000] [--lines 50] [--workers 2]

Builds a throw-away warehouse with finalized settlements (rows as the settlement area writes
them), gathers every statement (one process, DuckDB) and renders PDF + CSV in a pool of
`--workers` processes. Prints statements per second for each phase and overall.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.options import options
from tasks.clock import JST
from tasks.render import statement
from tasks.render.jobs import render_many
from tasks.settings import Settings
from tasks.warehouse import Warehouse

CHAINS = ["seven", "lawson", "famima", "ministop", "daily", "seicomart"]


def build(wh: Warehouse, count: int, lines: int) -> None:
    with wh.write() as con:
        con.execute("insert into master_loads values (1, timestamp '2026-11-01', 'bench', 'x')")
        con.execute(f"""
            insert into merchants select 1, printf('M%06d', i), '株式会社ベンチ商店' || i, 'ｶ)ﾍﾞﾝﾁ', 'active',
                   date '2026-01-01', 6, 'P1', '0005', '001', '1', printf('%07d', i), null, null,
                   'm' || i || '@example.jp'
            from range(1, {count} + 1) t(i)""")
        con.execute(f"""
            insert into settlement_finalizations
            select printf('M%06d-20261101', i), printf('M%06d', i),
                   date '2026-11-01', date '2026-11-05', timestamp '2026-11-11 23:59:59', date '2026-11-16',
                   timestamp '2026-11-12 06:00', 'bench', 1, 6, {lines}, {lines} * 5000,
                   {lines} * 125 + 3000, ({lines} * 125 + 3000) // 10, 200,
                   0, 0, {lines} * 5000 - ({lines} * 125 + 3000) - ({lines} * 125 + 3000) // 10 - 200
            from range(1, {count} + 1) t(i)""")
        con.execute(f"""
            insert into settlement_lines (settlement_id, line_no, payment_id, kind, order_id, chain,
                   paid_date, amount, fee, stamp)
            select printf('M%06d-20261101', i), j, md5(i || '-' || j), 'payment',
                   printf('ORDER-%06d-%03d', i, j), {CHAINS!r}[1 + (j % 6)], date '2026-11-01' + (j % 5)::int,
                   5000, 125, case when j = 1 then 200 else 0 end
            from range(1, {count} + 1) t(i), range(1, {lines} + 1) u(j)""")
        con.execute(f"""
            insert into settlement_lines (settlement_id, line_no, kind, amount, fee, stamp, fee_month)
            select printf('M%06d-20261101', i), {lines} + 1, 'monthly_fee', 3000, 0, 0, date '2026-11-01'
            from range(1, {count} + 1) t(i)""")


def main() -> None:
    args = options(count=1000, lines=50, workers=2)
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        settings = Settings(data_dir=tmp)
        wh = Warehouse(settings.warehouse_path)
        build(wh, args.count, args.lines)
        t0 = time.perf_counter()
        with wh.read() as con:
            ids = statement.finalized_ids(con)
            at = datetime(2026, 11, 12, 6, tzinfo=JST)
            jobs = statement.gather_many(con, [(sid, at) for sid in ids], settings)
        t1 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + time.process_time()
        rendered = render_many(jobs, tmp / "out", workers=args.workers)
        t2 = time.perf_counter()
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + time.process_time() - cpu0
        pdf_bytes = sum(r.pdf_path.stat().st_size for r in rendered)
        print(f"statements: {len(rendered)} of {args.lines} payment lines, workers {args.workers}, "
              f"cpus {os.cpu_count()}")
        print(f"gather: {t1 - t0:.1f} s ({len(jobs) / (t1 - t0):.0f}/s)")
        print(f"render: {t2 - t1:.1f} s ({len(rendered) / (t2 - t1):.2f}/s), "
              f"mean PDF {pdf_bytes / len(rendered) / 1024:.0f} KiB")
        print(f"render CPU: {cpu / len(rendered):.3f} s per statement (all processes), load average "
              f"{os.getloadavg()[0]:.1f}")
        print(f"total: {t2 - t0:.1f} s -> {len(rendered) / (t2 - t0):.2f} statements/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
