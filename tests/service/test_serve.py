"""`konbini serve` against a real Prefect server: deployments, schedules, a run, a retried failure."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from flows import crashed_runs, serve
from tests.service.prefect_api import api as _api

KONBINI = str(Path(sys.executable).parent / "konbini")


def _deployments(url: str) -> dict[str, dict]:
    found = _api(url, "POST", "/deployments/filter", {"deployments": {"tags": {"all_": ["konbini"]}}})
    return {d["name"]: d for d in found}


def _wait_final(url: str, run_id: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = _api(url, "GET", f"/flow_runs/{run_id}")
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"flow run {run_id} not finished after {timeout_s} s: {run['state']}")


def test_serve_registers_every_deployment_with_its_tokyo_schedule_and_runs_them(
    prefect_server, service_env, spawn, data_dir
):
    expected = serve.SCHEDULE
    proc = spawn([KONBINI, "serve"], service_env, "serve")

    deadline = time.monotonic() + 120
    while len(found := _deployments(prefect_server)) < len(expected):
        assert proc.poll() is None, proc.log_path.read_text()[-3000:]
        assert time.monotonic() < deadline, f"only {sorted(found)} registered"
        time.sleep(0.5)

    for s in expected:
        d = found[s.name]
        assert [(x["schedule"]["cron"], x["schedule"]["timezone"]) for x in d["schedules"]] == [
            (c, "Asia/Tokyo") for c in s.crons
        ], s.name
        assert all(x["active"] for x in d["schedules"]), s.name
        assert d["paused"] is False
        assert d["global_concurrency_limit"]["limit"] == 1
        assert d["concurrency_options"]["collision_strategy"] == s.on_collision.value
        assert d["entrypoint"] == s.flow.replace(":", ".")
        assert d["parameters"] == s.parameters
    # The served runs are watched for a lost process like the workers' (flows/crashed_runs.py).
    automations = _api(prefect_server, "POST", "/automations/filter", {})
    assert [a["trigger"]["within"] for a in automations if a["name"] == crashed_runs.NAME] == [
        crashed_runs.MISSED_BEATS * crashed_runs.DEFAULT_HEARTBEAT]

    # The scheduler creates the upcoming runs in Japan time (e.g. settlement at 07:00 JST = 22:00 UTC).
    settle = found.get("settle")
    if settle:
        deadline = time.monotonic() + 60
        query = {"flow_runs": {
            "deployment_id": {"any_": [settle["id"]]}, "state": {"type": {"any_": ["SCHEDULED"]}},
        }}
        while not (runs := _api(prefect_server, "POST", "/flow_runs/filter", query)):
            assert time.monotonic() < deadline, "the scheduler created no settle run"
            time.sleep(1)
        assert {r["expected_start_time"][11:19] for r in runs} == {"22:00:00"}

    # Pause the schedules (as the UI's toggle does) so no scheduled run competes with the runs below.
    for d in found.values():
        _api(prefect_server, "PATCH", f"/deployments/{d['id']}", {"paused": True})
    time.sleep(2)

    # A run started by hand (the UI's Quick run) completes on the serving process, with its artifact.
    rec = found["reconcile"]
    run = _api(prefect_server, "POST", f"/deployments/{rec['id']}/create_flow_run", {})
    assert _wait_final(prefect_server, run["id"])["state"]["type"] == "COMPLETED"
    assert (data_dir / "warehouse.duckdb").exists()
    artifacts = _api(prefect_server, "POST", "/artifacts/filter",
                     {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    assert [a["key"] for a in artifacts] == ["reconcile-summary"]
    assert artifacts[0]["type"] == "markdown" and artifacts[0]["data"]

    # A run that fails (the warehouse path is unusable) is retried as the UI's Retry button does
    # it, once the cause is fixed, and then completes.
    (data_dir / "warehouse.duckdb").unlink()
    (data_dir / "warehouse.duckdb").mkdir()
    run = _api(prefect_server, "POST", f"/deployments/{rec['id']}/create_flow_run", {})
    failed = _wait_final(prefect_server, run["id"])
    assert failed["state"]["type"] == "FAILED"
    (data_dir / "warehouse.duckdb").rmdir()
    answer = _api(prefect_server, "POST", f"/flow_runs/{run['id']}/set_state", {
        "state": {"type": "SCHEDULED", "name": "AwaitingRetry", "message": "Retry from the UI"},
        "force": True,
    })
    assert answer["status"] == "ACCEPT"
    retried = _wait_final(prefect_server, run["id"])
    assert retried["state"]["type"] == "COMPLETED"
    assert retried["run_count"] == 2


def test_deploy_refuses_deployments_served_by_konbini_serve(prefect_server, service_env):
    # On a pool as well, they would be run by the workers and by the serving process: twice.
    done = subprocess.run([KONBINI, "serve", "--register-only"], env=service_env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    before = {name: d["work_pool_name"] for name, d in _deployments(prefect_server).items()}
    assert sorted(before) == sorted(s.name for s in serve.SCHEDULE) and set(before.values()) == {None}
    pool = {"name": "one-way", "type": "process", "concurrency_limit": 1}
    _api(prefect_server, "POST", "/work_pools/", pool)
    on_pool = ["--work-pool", "one-way"]
    for args in (["deploy", *on_pool], ["serve", "--register-only", *on_pool]):
        done = subprocess.run([KONBINI, *args], env=service_env, capture_output=True, text=True, timeout=300)
        lines = done.stderr.splitlines()
        assert done.returncode == 2 and len(lines) == 1, (args, done.stderr)
        expected = f"error: {len(serve.SCHEDULE)} deployments are served by `konbini serve` (no work pool): "
        assert lines[0].startswith(expected), lines[0]
        assert "stop that process and delete them" in lines[0], lines[0]
    assert {name: d["work_pool_name"] for name, d in _deployments(prefect_server).items()} == before
