"""Step 1 of docs/scaling.md, for real: Prefect on PostgreSQL, work pools, process workers.

The module's fixture starts a throw-away PostgreSQL cluster on 127.0.0.1 (as `nobody` when the
tests run as root: bench/scaling/cluster.py), a Prefect server on it, creates the pools as the
recipe does (`konbini-writer` with concurrency limit 1, `konbini-parse`), and registers every
deployment with `konbini deploy`. Each test starts two process workers on the writer pool (two
"machines" that may both run writing flows: only the pool's limit keeps them one at a time) with
its own data folder, and stops them at its end; the module stops the server and the cluster.

Proved: the deployments are serve.py's table on the pools; scheduled and manual runs complete on
the workers; writing runs created at once never overlap; a worker machine killed in the middle of
a writing run leaves the warehouse as a rerun expects, and the run, retried from the API,
completes on the other worker with the state an uninterrupted run gives.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from bench.scaling import cluster
from flows import crashed_runs, serve

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "spec" / "samples"
WRITER, PARSE = serve.WRITER_POOL, serve.PARSE_POOL
AS_OF = "2026-11-10T07:00:00+09:00"  # after every sample file's creation
HEARTBEAT = 30


def konbini(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([cluster.KONBINI, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def prefect_on_postgres(tmp_path_factory):
    """The server's API URL and a client environment, with the pools and the deployments."""
    home = tmp_path_factory.mktemp("prefect_pg")
    with cluster.Postgres() as pg:
        server, url, _ = cluster.start_server(home / "server", pg.url())
        try:
            env = cluster.client_env(url, home / "client")
            # The recipe of docs/scaling.md, as an operator types it.
            cluster.prefect(env, "work-pool", "create", WRITER, "--type", "process")
            cluster.prefect(env, "work-pool", "set-concurrency-limit", WRITER, "1")
            cluster.prefect(env, "work-pool", "create", PARSE, "--type", "process")
            # Runs beat every 30 s (Prefect's minimum), so a lost run is marked Crashed in 90 s.
            env = {**env, crashed_runs.HEARTBEAT_VAR: str(HEARTBEAT)}
            for _ in range(2):  # twice, as an operator re-deploying: still one automation
                done = konbini(env, "deploy", "--work-pool", WRITER, "--parse-pool", PARSE)
                assert done.returncode == 0, done.stderr
            assert f"registered {len(serve.SCHEDULE)} deployments on work pool {WRITER}" in done.stdout
            # Registered with their schedules on; the tests turn them on only when they want them.
            assert not any(d["paused"] for d in _set_paused(url, True).values())
            yield url, env
        finally:
            cluster.stop(server)


def _deployments(url: str) -> dict[str, dict]:
    found = cluster.api(url, "POST", "/deployments/filter", {"deployments": {"tags": {"all_": ["konbini"]}}})
    return {d["name"]: d for d in found}


def _set_paused(url: str, paused: bool) -> dict[str, dict]:
    """Pause (or resume) every schedule; pausing also deletes the runs they had scheduled."""
    found = _deployments(url)
    for d in found.values():
        cluster.api(url, "PATCH", f"/deployments/{d['id']}", {"paused": paused})
    return found


def _create_run(url: str, deployment: dict, **parameters) -> str:
    return cluster.api(url, "POST", f"/deployments/{deployment['id']}/create_flow_run",
                       {"parameters": parameters})["id"]


class Workers:
    """The recipe's two process workers, on a data folder of this test: the writer (`--limit 1`, on
    the machine of the warehouse) and a worker of the parse pool."""

    def __init__(self, url: str, env: dict[str, str], tmp_path: Path) -> None:
        self.url, self.data, self.tmp = url, tmp_path / "data", tmp_path
        self.direct = {k: v for k, v in env.items() if k != "PREFECT_API_URL"} | {
            "KONBINI_DATA_DIR": str(self.data)}
        self.env = cluster.client_env(url, tmp_path / "worker_home", self.data)
        self.prepare()
        self.procs: list[subprocess.Popen] = []
        self.writer = self.start(WRITER, limit=1)
        self.start(PARSE)

    def start(self, pool: str, limit: int | None = None) -> subprocess.Popen:
        log = self.tmp / f"worker-{len(self.procs)}.log"
        proc = cluster.start_worker(self.env, pool, f"{pool}-{len(self.procs)}", log, limit)
        proc.log = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def prepare(self) -> None:
        """The data folder afresh: the samples' inbox, their master data loaded (direct mode)."""
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.copytree(SAMPLES / "inbox", self.data / "inbox")
        done = konbini(self.direct, "master", "load", str(SAMPLES / "master"), "--as-of", "2026-10-01")
        assert done.returncode == 0, done.stderr

    def wait_online(self, *pools: str, timeout: float = 180) -> None:
        """Until each pool has a worker that is online (its heartbeat is recent)."""
        deadline = time.monotonic() + timeout
        for pool in pools:
            query = {"workers": {"status": {"any_": ["ONLINE"]}}}
            while not cluster.api(self.url, "POST", f"/work_pools/{pool}/workers/filter", query):
                for p in self.procs:
                    assert p.poll() is None or p.returncode == -9, p.log.read_text()[-3000:]
                assert time.monotonic() < deadline, f"no worker of {pool} came online"
                time.sleep(0.5)

    def stop(self) -> None:
        for p in self.procs:
            cluster.stop(p)


@pytest.fixture
def workers(prefect_on_postgres, tmp_path):
    url, env = prefect_on_postgres
    w = Workers(url, env, tmp_path)
    try:
        w.wait_online(WRITER, PARSE)
        yield w
    finally:
        w.stop()
        _set_paused(url, True)


def test_deploy_puts_the_serve_table_on_the_pools(prefect_on_postgres):
    url, env = prefect_on_postgres
    found = _deployments(url)
    assert sorted(found) == sorted(s.name for s in serve.SCHEDULE)
    for s in serve.SCHEDULE:
        d = found[s.name]
        assert d["work_pool_name"] == (WRITER if s.writes_warehouse else PARSE), s.name
        assert [(x["schedule"]["cron"], x["schedule"]["timezone"]) for x in d["schedules"]] == [
            (c, "Asia/Tokyo") for c in s.crons], s.name
        assert d["entrypoint"] == s.flow.replace(":", "."), s.name  # imported from the installed konbini
        assert not d["pull_steps"], s.name  # nothing copied per run ([] first, None once re-deployed)
        assert d["global_concurrency_limit"]["limit"] == 1
        assert d["concurrency_options"]["collision_strategy"] == s.on_collision.value
        assert d["parameters"] == s.parameters
    pools = {p["name"]: p for p in cluster.api(url, "POST", "/work_pools/filter", {})}
    assert pools[WRITER]["concurrency_limit"] == 1 and pools[PARSE]["concurrency_limit"] is None
    # Every run beats at the rate the crashed-runs automation expects; one automation, however
    # often deployed.
    for d in found.values():
        assert d["job_variables"]["env"] == {crashed_runs.HEARTBEAT_VAR: str(HEARTBEAT)}, d["name"]
    automations = [a for a in cluster.api(url, "POST", "/automations/filter", {})
                   if a["name"] == crashed_runs.NAME]
    assert len(automations) == 1 and automations[0]["enabled"]
    trigger = automations[0]["trigger"]
    assert trigger["posture"] == "Proactive" and trigger["within"] == 3 * HEARTBEAT
    assert trigger["match_related"] == {"prefect.resource.role": "tag",
                                        "prefect.resource.id": "prefect.tag.konbini"}
    assert automations[0]["actions"] == [{"type": "change-flow-run-state", "name": None, "state": "CRASHED",
                                          "message": "no heartbeat for 90 s: the run's process, worker or "
                                                     "machine was lost", "force": False}]


def test_deploy_refuses_a_missing_pool_and_a_writer_pool_without_limit_one(prefect_on_postgres):
    url, env = prefect_on_postgres
    before = {name: d["work_pool_name"] for name, d in _deployments(url).items()}
    for args, expected in [
        (["--work-pool", "nope"], "work pool 'nope' does not exist: create it with `prefect work-pool"),
        (["--work-pool", WRITER, "--parse-pool", "nope"], "work pool 'nope' does not exist"),
        (["--work-pool", PARSE], f"work pool '{PARSE}' has no concurrency limit: the pool of the "
                                 "writing flows must run one at a time"),
    ]:
        done = konbini(env, "deploy", *args)
        lines = done.stderr.splitlines()
        assert done.returncode == 2 and len(lines) == 1 and expected in lines[0], (args, done.stderr)
    assert {name: d["work_pool_name"] for name, d in _deployments(url).items()} == before


def test_serve_refuses_deployments_that_run_on_work_pools(prefect_on_postgres):
    # Served here, they would overwrite the pools' deployments while the workers kept running them.
    url, env = prefect_on_postgres
    before = {name: d["work_pool_name"] for name, d in _deployments(url).items()}
    for args in (["serve"], ["serve", "--register-only"]):
        done = konbini(env, *args)
        lines = done.stderr.splitlines()
        assert done.returncode == 2 and len(lines) == 1, (args, done.stderr)
        expected = f"error: {len(serve.SCHEDULE)} deployments run on work pools (`konbini deploy`): "
        assert lines[0].startswith(expected), lines[0]
        for name, pool in before.items():
            assert f"/{name} (pool {pool!r})" in lines[0], (name, lines[0])
        assert "prefect deployment delete NAME" in lines[0]
    assert {name: d["work_pool_name"] for name, d in _deployments(url).items()} == before


def test_scheduled_and_manual_runs_complete_on_the_workers(workers):
    url, data = workers.url, workers.data
    found = _set_paused(url, False)
    # Scheduled: deliver-notifications runs every minute; its next run is created by the scheduler
    # and picked up by a worker when due.
    notify = found["deliver-notifications"]
    query = {"flow_runs": {"deployment_id": {"any_": [notify["id"]]},
                           "state": {"type": {"any_": ["COMPLETED"]}}}}
    deadline = time.monotonic() + 240
    while not (runs := cluster.api(url, "POST", "/flow_runs/filter", query)):
        assert time.monotonic() < deadline, "no scheduled run completed"
        time.sleep(1)
    assert runs[0]["auto_scheduled"] and runs[0]["work_pool_name"] == WRITER
    _set_paused(url, True)
    # Manual (the UI's Quick run / Custom run): a pull, then a reconciliation of what it pulled.
    pull = cluster.wait_final(url, _create_run(url, found["pull-feeds"], as_of=AS_OF))
    assert pull["state"]["type"] == "COMPLETED", pull["state"]
    rec = cluster.wait_final(url, _create_run(url, found["reconcile"], as_of=AS_OF))
    assert rec["state"]["type"] == "COMPLETED", rec["state"]
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from inbound_files").fetchone()[0] > 0
        assert con.execute("select count(*) from reconcile_runs").fetchone()[0] >= 1
    finally:
        con.close()


def _interval(run: dict) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(run["start_time"]), datetime.fromisoformat(run["end_time"])


def test_writing_runs_created_at_once_never_overlap(workers):
    url = workers.url
    found = _set_paused(url, True)
    # Three different deployments: their own limits (1 each) do not hold them back from each other;
    # the writer worker's limit does (and the pool's, when the workers poll).
    ids = [_create_run(url, found[name], as_of=AS_OF) for name in ("pull-feeds", "reconcile", "settle")]
    runs = [cluster.wait_final(url, i) for i in ids]
    assert [r["state"]["type"] for r in runs] == ["COMPLETED"] * 3, [r["state"] for r in runs]
    spans = sorted(_interval(r) for r in runs)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end, spans


def _runs_logged(data: Path) -> int:
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from source_attempts").fetchone()[0]
    finally:
        con.close()


def test_worker_killed_mid_run_leaves_what_a_rerun_expects_and_the_retry_completes(
    workers, warehouse_lock_holders, data_snapshot
):
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import AwaitingRetry

    url, data = workers.url, workers.data
    found = _set_paused(url, True)
    pull = found["pull-feeds"]
    lock = data / "warehouse.duckdb.lock"

    # A pull runs on the writer; the moment its flow run holds the warehouse lock (it is writing),
    # the writer's machine dies: the worker and everything below it, SIGKILL.
    run_id = _create_run(url, pull, as_of=AS_OF)
    deadline = time.monotonic() + 240
    while True:
        if holders := warehouse_lock_holders(lock) & set(cluster.descendants(workers.writer.pid)):
            state = cluster.api(url, "GET", f"/flow_runs/{run_id}")["state"]["type"]
            if state == "RUNNING":
                break
            assert state != "COMPLETED", "the pull completed before it could be killed"
        assert time.monotonic() < deadline, "the writer did not run the pull"
        assert workers.writer.poll() is None, workers.writer.log.read_text()[-3000:]
        time.sleep(0.005)
    cluster.kill_machine(workers.writer, also=holders)
    cluster.until(lambda: not warehouse_lock_holders(lock), timeout=60)  # the kernel frees it at exit
    logged = _runs_logged(data)

    # Nobody is left to report the run: it stays Running, holding the writer pool's only slot,
    # until the server's automation sees no heartbeat for three beats and marks it Crashed.
    # The writer comes back (systemd's Restart=always); the operator retries the run (the UI's
    # Retry), here with Prefect's client.
    killed_at = time.monotonic()
    assert cluster.api(url, "GET", f"/flow_runs/{run_id}")["state"]["type"] == "RUNNING"
    workers.writer = workers.start(WRITER, limit=1)
    while (run := cluster.api(url, "GET", f"/flow_runs/{run_id}"))["state"]["type"] != "CRASHED":
        assert run["state"]["type"] == "RUNNING", run["state"]
        assert time.monotonic() - killed_at < 4 * 3 * HEARTBEAT, "the lost run was not marked Crashed"
        time.sleep(1)
    assert "no heartbeat for 90 s" in run["state"]["message"]
    assert time.monotonic() - killed_at > 2 * HEARTBEAT  # by the missed beats, not anything sooner
    with temporary_settings({PREFECT_API_URL: url}), get_client(sync_client=True) as client:
        assert client.set_flow_run_state(run_id, AwaitingRetry(), force=True).status.value == "ACCEPT"
    retried = cluster.wait_final(url, run_id)
    assert retried["state"]["type"] == "COMPLETED", retried["state"]
    assert retried["run_count"] == 2
    crashed = data_snapshot(data)

    # The same pull uninterrupted, in the same folder (paths recorded are then the same), as many
    # times as the killed run had already logged its attempt (a logged attempt happened).
    workers.prepare()
    for _ in range(1 + logged):
        again = cluster.wait_final(url, _create_run(url, pull, as_of=AS_OF))
        assert again["state"]["type"] == "COMPLETED", again["state"]
    expected = data_snapshot(data)
    assert expected.keys() == crashed.keys()
    for key in expected:
        assert crashed[key] == expected[key], (key, f"{logged} attempt(s) logged by the killed run")
