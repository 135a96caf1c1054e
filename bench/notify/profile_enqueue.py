"""Profile of the scheduled enqueue, statement by statement, inside the incremental reconciliation.

    .venv/bin/python -m bench.notify.profile_enqueue --db /work/bench-data/outbox/full-idle-url.duckdb \
        [--repeat 3] [--top 12]

Opens the warehouse (a copy of the state after a full run with merchants that have a notify_url:
`bench.reconcile.bench_reconcile --phases notify-merchants`), runs the incremental reconciliation
as of 2026-12-31 in a transaction, times every statement the enqueue issues (wall and this process's
CPU, all threads) and rolls back: the file is left as it was, so the runs repeat on the same state.
The first run in a process reads from disk (cold buffers), the next ones from DuckDB's cache.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.reconcile.bench_reconcile import AS_OF_INC

DIGEST = ["rowid, event_id", *(
    "event_id, type, subject, merchant_id, order_id, chain, payment_id, amount, paid_at, store_code,"
    " happened_at, created_at, state, window_start, attempts, next_attempt_at, delivered_at, dead_at,"
    " last_status_code, last_error").split(", ")]


class Timed:
    """A connection that times each statement it executes (the reconciliation takes any connection)."""

    def __init__(self, con):
        self._con = con
        self.log: list[tuple[str, float, float]] = []
        self.recording = False

    explain = False

    def execute(self, sql, *args, **kwargs):
        insert = str(sql).lstrip().startswith("insert into notification_outbox")
        if self.recording and self.explain and insert:
            for name in ("rc_key_records", "rc_key_orders", "rc_keys", "nq_records", "nq_orders"):
                print(name, self._con.execute(f"select count(*) from {name}").fetchone())
            out = "/tmp/outbox-insert-profile.json"
            self._con.execute(f"pragma enable_profiling = 'json'; pragma profiling_output = '{out}'")
            self._con.execute(sql, *args, **kwargs).fetchall()
            self._con.execute("pragma disable_profiling")
            _print_profile(out)
            raise SystemExit(0)
        w0, c0 = time.perf_counter(), time.process_time()
        cur = self._con.execute(sql, *args, **kwargs)
        if self.recording:
            text = " ".join(str(sql).split())[:110]
            self.log.append((text, time.perf_counter() - w0, time.process_time() - c0))
        return cur

    def __getattr__(self, name):
        return getattr(self._con, name)


def _print_profile(path: str) -> None:
    """The operators of a DuckDB json profile, slowest first."""
    ops = []

    def walk(node, depth):
        ops.append((node.get("timing", 0), node.get("intermediate_rows", 0), depth, node.get("name"),
                    " ".join(json.dumps(node.get("extra_info", {}), ensure_ascii=False).split())[:160]))
        for child in node.get("children", []):
            walk(child, depth + 1)

    tree = json.loads(Path(path).read_text())
    print({k: v for k, v in tree.items() if k not in ("operator",)})
    for root in tree["operator"]:
        walk(root, 0)
    print(f"sum of operator timings {sum(o[0] for o in ops) * 1000:.1f} ms")
    for t, n, d, name, extra in sorted(ops, key=lambda o: -o[0])[:30]:
        print(f"{t * 1000:8.1f} ms {n:>9} rows  d{d:<3} {name}  {extra}")


def main() -> None:
    import duckdb

    from tasks.clock import JST
    from tasks.notify import outbox
    from tasks.reconcile import run
    from tasks.warehouse import migrate

    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the outbox insert, then stop")
    args = ap.parse_args()
    raw = duckdb.connect(str(args.db))
    migrate(raw)
    con = Timed(raw)
    con.explain = args.explain
    enqueue = outbox.enqueue_events

    def timed_enqueue(*a, **k):  # record the enqueue's statements only
        con.recording = True
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            return enqueue(*a, **k)
        finally:
            con.recording = False
            timed_enqueue.last = (time.perf_counter() - w0, time.process_time() - c0)

    run.enqueue_events = timed_enqueue
    for i in range(args.repeat):
        con.log.clear()
        raw.execute("begin")
        try:
            r = run.reconcile(con, AS_OF_INC.replace(tzinfo=JST), incremental=True)
            # the outbox as the run leaves it: its order of insertion (rowid, event_id), each column
            digest = raw.execute("select count(*), " + ", ".join(f"sum(hash({c}))::varchar" for c in DIGEST)
                                 + " from notification_outbox").fetchone()
        finally:
            raw.execute("rollback")
        wall, cpu = timed_enqueue.last
        print(json.dumps({"run": i + 1, "notifications": r.notifications, "seconds": r.seconds,
                          "enqueue_wall_ms": round(wall * 1000, 1), "enqueue_cpu_ms": round(cpu * 1000, 1),
                          "outbox": digest,
                          "load": Path("/proc/loadavg").read_text().split()[0]}))
        for sql, w, c in sorted(con.log, key=lambda x: -x[1])[: args.top]:
            print(f"   {w * 1000:8.1f} ms wall {c * 1000:8.1f} ms cpu  {sql}")
    raw.close()


if __name__ == "__main__":
    main()
