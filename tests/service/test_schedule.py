"""The schedule table: valid Japan-time cron lines, flows that scheduled runs can call."""

from __future__ import annotations

import inspect
from datetime import datetime
from zoneinfo import ZoneInfo

from prefect.server.schemas.schedules import CronSchedule  # what the server's scheduler uses

from flows import serve

JST = ZoneInfo("Asia/Tokyo")


def _next(cron: str, after: datetime, n: int) -> list[datetime]:
    import asyncio

    sched = CronSchedule(cron=cron, timezone=serve.TIMEZONE)
    return [d.astimezone(JST) for d in asyncio.run(sched.get_dates(n, start=after))]


def test_every_deployment_is_named_once_and_tz_is_tokyo():
    names = [s.name for s in serve.SCHEDULE]
    assert len(names) == len(set(names))
    assert serve.TIMEZONE == "Asia/Tokyo"


def test_cron_lines_fire_at_the_documented_japan_times():
    start = datetime(2026, 11, 30, 23, 58, tzinfo=JST)
    by_name = {s.name: s for s in serve.SCHEDULE}
    pulls = _next(by_name["pull-feeds"].crons[0], start, 3)
    assert [(d.hour, d.minute) for d in pulls] == [(0, 0), (0, 10), (0, 20)]
    rec = _next(by_name["reconcile"].crons[0], start, 3)
    assert [(d.hour, d.minute) for d in rec] == [(0, 5), (0, 15), (0, 25)]
    settle = _next(by_name["settle"].crons[0], start, 2)
    assert [(d.day, d.hour, d.minute) for d in settle] == [(1, 7, 0), (2, 7, 0)]
    reports = _next(by_name["render-reports"].crons[0], start, 2)
    assert [(d.day, d.hour, d.minute) for d in reports] == [(1, 8, 0), (2, 8, 0)]
    monthly = _next(by_name["settlement-schedules"].crons[0], start, 2)
    assert [(d.year, d.month, d.day, d.hour) for d in monthly] == [(2026, 12, 1, 8), (2027, 1, 1, 8)]
    minutes = _next(by_name["deliver-notifications"].crons[0], start, 3)
    assert [d.minute for d in minutes] == [58, 59, 0]  # the start itself counts


def test_scheduled_runs_can_call_every_flow_without_parameters():
    """A scheduled run passes only the row's parameters: every other one needs a default."""
    for s in serve.SCHEDULE:
        flow = serve.load_flow(s.flow)
        params = inspect.signature(flow.fn).parameters
        assert "as_of" in params, f"{s.flow} takes no as_of"
        for name, p in params.items():
            assert name in s.parameters or p.default is not inspect.Parameter.empty, (s.flow, name)
        for name in s.parameters:
            assert name in params, (s.flow, name)
        d = serve.deployment(s)
        assert [sch.schedule.cron for sch in d.schedules] == list(s.crons)
        assert {sch.schedule.timezone for sch in d.schedules} == {"Asia/Tokyo"}
        assert d.entrypoint == s.flow.replace(":", ".")


def test_serve_names_an_unreachable_prefect_api_without_a_traceback():
    import os
    import subprocess
    import sys
    from pathlib import Path

    konbini = str(Path(sys.executable).parent / "konbini")
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    for args in (["serve"], ["serve", "--register-only"]):
        done = subprocess.run([konbini, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done
        assert "http://127.0.0.1:9/api" in done.stderr and "prefect server start" in done.stderr
        assert "Traceback" not in done.stderr


def test_deployments_command_lists_the_schedule():
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([str(Path(sys.executable).parent / "konbini"), "deployments"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for s in serve.SCHEDULE:
        assert s.name in done.stdout and s.crons[0] in done.stdout
