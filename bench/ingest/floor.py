"""The floor under issue 14.3's "≥ 3× the plain script": what a file's writes alone cost, with no check.

    .venv/bin/python -m bench.ingest.floor [--events 200000] [--sizes 1000 10000 50000] [--work DIR]

For each size, on the same generated SEJ/FM/CVS files as `bench.ingest`, it times:
- the **plain script** (bench/ingest/plain.py), and the goal it sets: a third of its time per file;
- the **floor**: every file read and parsed beforehand (not timed), then per file only the writes the
  spec and the design ask of an accepted file, each file its own durable transaction (begin, the file's
  row with its bytes and sha256 (`tasks.inbox.record_file`), the records inserted into `feed_records`
  with their md5 event and payment ids, commit) into a fresh migrated warehouse: no check, no
  resend look-up, no parse, no reading of the inbox;
- the **bare floor**: the same records into a plain table without ids, no file row (not what the
  product may do: a lower bound of any DuckDB writer), one writer, then two writer threads.

A floor above the goal means no ingest that keeps one transaction per file and the files' bytes and
ids in the warehouse can reach the goal on this machine, whatever it does before the writes.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb

from bench.ingest.__main__ import _load, run_plain
from bench.ingest.files import generate
from tasks.clock import JST, naive_jst
from tasks.feeds.merge import INSERT_SQL, prepare
from tasks.inbox import InboundFile, record_file
from tasks.settings import Settings
from tasks.sources import open_source
from tasks.warehouse import Warehouse, transaction

AS_OF = datetime(2026, 11, 9, 7, tzinfo=JST)



def parsed_files(inbox: Path, settings: Settings) -> list[tuple[InboundFile, object]]:
    """Every file of the inbox read and parsed, in listing order (not timed)."""
    src = open_source(str(inbox))
    files = []
    for meta in src.list().files:
        f = InboundFile(meta, src.fetch(meta))
        files.append((f, prepare(f, settings).events.to_arrow()))
    return files


def floor(files, work: Path) -> tuple[float, float]:
    """Per file: the file's row with its bytes, its records with ids, one durable commit."""
    path = work / "floor.duckdb"
    wh = Warehouse(path)
    received = naive_jst(AS_OF)
    with wh.session() as con:
        started, cpu = time.perf_counter(), time.process_time()
        for f, staged in files:
            with transaction(con):
                file_id = record_file(con, f, "accepted", received)
                con.register("staged", staged)
                con.execute(INSERT_SQL.format(source="staged n"),
                            {"file_id": file_id, "ingested_at": received})
                con.unregister("staged")
        result = time.perf_counter() - started, time.process_time() - cpu
    for p in work.glob("floor.duckdb*"):
        p.unlink()
    return result


def bare_floor(files, work: Path, writers: int) -> float:
    """Per file: the records into a plain table (no ids, no file row), one commit; `writers` threads."""
    path = work / "bare.duckdb"
    con = duckdb.connect(str(path))
    first = files[0][1]
    con.register("staged", first)
    con.execute("create table records as select 0::bigint as file_id, * from staged limit 0")
    con.unregister("staged")

    def write(k: int) -> None:
        cur = con.cursor()
        for i in range(k, len(files), writers):
            cur.execute("begin")
            cur.register("staged", files[i][1])
            cur.execute("insert into records select ?, * from staged", [i])
            cur.unregister("staged")
            cur.execute("commit")

    started = time.perf_counter()
    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    con.close()
    for p in work.glob("bare.duckdb*"):
        p.unlink()
    return elapsed


def one_size(work: Path, size: int, events: int, settings: Settings) -> None:
    inbox = work / f"inbox-{size}"
    generate(inbox, events, size, batch=0)
    plain_wall, plain_cpu, _ = run_plain(inbox, work)
    files = parsed_files(inbox, settings)
    n = len(files)
    ms = 1000 / n
    print(f"{size:,} records per file, {n} files  [{_load()}]")
    print(f"  plain script            {plain_wall * ms:8.2f} ms a file ({plain_cpu * ms:.2f} CPU)"
          f"  -> goal (3x): {plain_wall * ms / 3:.2f} ms a file")
    wall, cpu = floor(files, work)
    print(f"  floor (file row, ids)   {wall * ms:8.2f} ms a file ({cpu * ms:.2f} CPU)"
          f"  = {plain_wall / wall:.2f}x the plain script at best  [{_load()}]")
    for writers in (1, 2):
        bare = bare_floor(files, work, writers)
        print(f"  bare floor, {writers} writer{'s' if writers > 1 else ' '}   {bare * ms:8.2f} ms a file"
              f"  = {plain_wall / bare:.2f}x the plain script at best  [{_load()}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per file size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        for size in args.sizes:
            one_size(Path(tmp), size, args.events, settings)


if __name__ == "__main__":
    main()
