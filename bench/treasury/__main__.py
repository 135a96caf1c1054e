"""Treasury benchmark: `.venv/bin/python -m bench.treasury [--files 1000] [--transfers 1000000]
[--confirmed 10000000] [--data /work/bench-data/treasury] [--dir /tmp/konbini-bench-treasury]`.

Setup (not timed, built once and kept): under `--data`, a folder per size holding a warehouse and the
files; each run copies that warehouse into `--dir` (the timed steps change it) and reads the files
back. The data set: a warehouse holding `--confirmed` 02 records (written in SQL, one transfer
date per record over `--files` bank business days, 3 sources, each known 4 days before its date),
and `--files` BANK_IN files built with the feed's own writer (tasks/feeds/bank.py): per business day,
each source's remittance of that day split into equal transfers so that the files hold `--transfers`
transfers in all, plus one unknown remitter per file.

Timed:
- ingest: every file through the real handler (tasks/treasury/bank_file.ingest_bank_file: parse,
  Pandera checks, the lookup of stored transfers, insert), one transaction per file, each as of the
  evening of its day, the next file prepared in a thread meanwhile (the pull without listing and
  moving files; tasks/ingest.py does the same with each kind's `prepare`);
- derive: a reconciliation as of the end for no payment key (what every scheduled run does besides
  its keys): transfers matched by remitter name, expected amounts from the previous run's payments
  (written by the setup for the 02 records), the replay of chain balances over every ingestion time,
  chain_balances, the exceptions.
Each line gives wall time, CPU time of the process (user + sys, every thread) and the load average:
the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

from tasks.bank_calendar import is_business_day
from tasks.clock import JST
from tasks.feeds import bank
from tasks.inbox import InboundFile, parse_name
from tasks.ingest import CHECKPOINT_THRESHOLD
from tasks.reconcile.run import reconcile
from tasks.settings import Settings
from tasks.treasury.bank_file import ingest_bank_file, prepare
from tasks.warehouse import Warehouse, transaction

FIRST = date(2023, 1, 4)
SOURCES = (("SEJ", "seven"), ("FM", "famima"), ("CVS", "lawson"))


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def business_days(n: int) -> list[date]:
    days, d = [], FIRST
    while len(days) < n:
        if is_business_day(d):
            days.append(d)
        d += timedelta(days=1)
    return days


def confirmed_records(con, days: list[date], n: int) -> None:
    """n 02 records, record i of day i % len(days) and source i // len(days) % 3."""
    con.execute("create temp table b_days as select * from (select unnest(?::date[]) as day) t", [days])
    con.execute("create temp table b_day_no as"
                " select row_number() over (order by day) - 1 as k, day from b_days")
    con.execute("insert into inbound_files values (1, 'sej', 'SEJ_02_bench', 'SEJ_02', 1, timestamp"
                " '2023-01-01', 'x', 0, ''::blob, timestamp '2023-01-01', 'accepted')")
    feeds = "['SEJ', 'FM', 'CVS']"
    chains = "['seven', 'famima', 'lawson']"
    con.execute(f"""
        insert into feed_records
        select 1, i::integer, {feeds}[s + 1], {chains}[s + 1], '02', lpad(i::varchar, 13, '0'),
               d.day - 6, '120000', '1', 1000 + (i * 7919) % 50000, false, d.day, null, null, null, null,
               d.day - 4 + interval 6 hour, d.day - 4 + interval 6 hour, md5(i::varchar || '02'),
               md5(i::varchar)
        from (select i, i % {len(days)} as k, (i // {len(days)}) % 3 as s from range({n}) t(i)) r
        join b_day_no d using (k)""")
    # the previous reconciliation's payments (one per 02 here), as a full run would have left them
    con.execute("""
        insert into payments by name
        select payment_id, chain, reference, paid_date, paid_time, store_code, amount, true as has_prelim,
               true as has_confirmed, false as has_cancel, true as live, 'order_payment' as role,
               transfer_date, ingested_at as first_ingested_at, ingested_at as confirmed_ingested_at,
               file_created_at as confirmed_file_created_at, false as released, false as refunded,
               true as settleable, timestamp '2023-01-01' as as_of
        from feed_records""")


def bank_files(con, days: list[date], transfers: int, settings: Settings) -> list[InboundFile]:
    per_source = max(1, (transfers // len(days) - 1) // 3)
    expected = {(s, d): a for s, d, a in con.execute(
        "select feed, transfer_date, sum(amount)::bigint from feed_records group by all").fetchall()}
    files = []
    for seq, d in enumerate(days, start=1):
        records = []
        for source, _ in SOURCES:
            total = expected.get((source, d), 0)
            parts = [total // per_source] * per_source
            parts[-1] += total - sum(parts)
            records += [{"remitter_name": settings.remitters.by_source()[source], "amount": a}
                        for a in parts if a > 0]
        records.append({"remitter_name": "ﾃｽﾄｼﾖｳｼﾞ(ｶ", "amount": 10_000})
        for i, r in enumerate(records, start=1):
            r.update(inquiry_no=i, booking_date=d)
        created = datetime(d.year, d.month, d.day, 18)
        name = f"BANK_IN_{created:%Y%m%d%H%M%S}_{seq:06d}.dat"
        files.append(InboundFile(parse_name("bank", name), _fast_file(created, d, records, settings)))
    return files


def _fast_file(created: datetime, d: date, records: list[dict], settings: Settings) -> bytes:
    """bank.build_file's bytes, faster: one record per remitter written by the writer, then only
    照会番号 and 金額 patched per record (a million records through format_record take minutes)."""
    head = bank.build_file(created, d, d, records[:1], settings.payout_account).split(b"\r\n")[0]
    templates: dict[str, bytes] = {}
    lines = [head]
    for r in records:
        t = templates.get(r["remitter_name"])
        if t is None:
            t = templates[r["remitter_name"]] = bank.build_file(
                created, d, d, [r], settings.payout_account).split(b"\r\n")[1]
        lines.append(t[:1] + b"%06d" % r["inquiry_no"] + t[7:19] + b"%010d" % r["amount"] + t[29:])
    total = sum(r["amount"] for r in records)
    lines.append(bank.format_record(bank.TRAILER, {"count": len(records), "total": total,
                                                   "cancel_count": 0, "cancel_total": 0}))
    lines.append(bank.format_record(bank.END, {}))
    return b"".join(line + b"\r\n" for line in lines)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def build_data(folder: Path, files: int, transfers: int, confirmed: int) -> None:
    """The warehouse and the BANK_IN files of one size, written once into `folder`."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "bank").mkdir(parents=True)
    settings = Settings(data_dir=tmp)
    days = business_days(files)
    t0 = time.perf_counter()
    with Warehouse(settings.warehouse_path).session() as con:
        with transaction(con):
            confirmed_records(con, days, confirmed)
        built = bank_files(con, days, transfers, settings)
        con.execute("checkpoint")
    for f in built:
        (tmp / "bank" / f.meta.name).write_bytes(f.content)
    tmp.rename(folder)
    print(f"setup: data set built in {folder} in {time.perf_counter() - t0:.1f} s (not timed);"
          f" load {load()}", flush=True)


def ingest(con, f: InboundFile, settings: Settings) -> None:
    """One file in its own transaction, as of the evening of its day; it must be accepted."""
    d = f.meta.created_at
    with transaction(con):
        out = ingest_bank_file(con, f, datetime(d.year, d.month, d.day, 19, tzinfo=JST), settings)
    assert out.state == "accepted", out.reasons[:3]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--files", type=int, default=1000)
    p.add_argument("--transfers", type=int, default=1_000_000)
    p.add_argument("--confirmed", type=int, default=10_000_000)
    p.add_argument("--data", type=Path, default=Path("/work/bench-data/treasury"))
    p.add_argument("--dir", type=Path, default=Path("/tmp/konbini-bench-treasury"))
    a = p.parse_args()
    data = a.data / f"f{a.files}-t{a.transfers}-c{a.confirmed}"
    if not data.exists():
        build_data(data, a.files, a.transfers, a.confirmed)
    shutil.rmtree(a.dir, ignore_errors=True)
    settings = Settings(data_dir=a.dir)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Settings(data_dir=data).warehouse_path, settings.warehouse_path)
    files = [InboundFile(parse_name("bank", f.name), f.read_bytes())
             for f in sorted((data / "bank").iterdir())]
    n = sum(f.content.count(b"\r\n2") for f in files)
    days = business_days(a.files)
    print(f"data: {a.confirmed:,} 02 records, {len(files)} files, {n:,} transfers from {data}", flush=True)
    wh = Warehouse(settings.warehouse_path)
    with wh.session() as con:
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")  # as the pull does
        t0, c0 = time.perf_counter(), _cpu()
        with ThreadPoolExecutor(1) as parsing:
            files[0].parsed = parsing.submit(prepare, files[0], settings).result
            for i, f in enumerate(files):
                if i + 1 < len(files):
                    files[i + 1].parsed = parsing.submit(prepare, files[i + 1], settings).result
                ingest(con, f, settings)
        t_ingest, c_ingest = time.perf_counter() - t0, _cpu() - c0
        print(f"ingest: {len(files)} files, {n:,} transfers in {t_ingest:.1f} s (CPU {c_ingest:.1f} s);"
              f" load {load()}", flush=True)
        t0, c0 = time.perf_counter(), _cpu()
        at = datetime(days[-1].year, days[-1].month, days[-1].day, 23, tzinfo=JST)
        with transaction(con):  # a run for no payment key: the treasury's part of every scheduled run
            reconcile(con, at, keys=[])
        t_derive, c_derive = time.perf_counter() - t0, _cpu() - c0
        rows = con.execute("select count(*) from chain_balances").fetchone()[0]
        eps = con.execute("select count(*) from exceptions where code like 'REMITTANCE%'").fetchone()[0]
        print(f"derive: {rows:,} chain balance rows, {eps} remittance exceptions in {t_derive:.1f} s"
              f" (CPU {c_derive:.1f} s); load {load()}", flush=True)
        print(f"total (ingest + derive): {t_ingest + t_derive:.1f} s (CPU {c_ingest + c_derive:.1f} s);"
              f" load {load()}")


if __name__ == "__main__":
    main()
