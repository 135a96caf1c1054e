"""Every scheduled deployment of konbini, declared once; `konbini serve` serves them.

The schedule is a table (`SCHEDULE`): one row per deployment with its flow, its cron lines in
Japan time and what it is for. `deployments()` turns the rows into Prefect deployments; `serve()`
runs them in this process (each flow run in its own subprocess).

One writer: every writing flow takes the warehouse's exclusive file lock (tasks/warehouse.py) for
each unit of work, so runs that overlap wait for each other instead of failing. Each deployment
also has a concurrency limit of 1, so a slow run is never joined by a second run of the same flow:
`ENQUEUE` waits for it (nothing is skipped), `CANCEL_NEW` drops the newcomer (for flows that run
every minute and pick up all pending work anyway).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows import crashed_runs
from tasks.errors import KonbiniError

TIMEZONE = "Asia/Tokyo"
TAGS = [crashed_runs.TAG]  # the automation watches the runs of this tag


@dataclass(frozen=True)
class Scheduled:
    """One deployment: which flow, when (cron lines in Japan time), and why."""

    name: str
    flow: str  # "module:function"
    crons: tuple[str, ...]
    description: str
    writes_warehouse: bool = True
    parameters: dict[str, Any] = field(default_factory=dict)
    on_collision: ConcurrencyLimitStrategy = ConcurrencyLimitStrategy.ENQUEUE


SCHEDULE: tuple[Scheduled, ...] = (
    Scheduled(
        "pull-feeds", "flows.ingest:pull_feeds", ("*/10 * * * *",),
        "Pull the inbox (orders, cancellations, the chains' 速報/確報 files) every 10 minutes.",
    ),
    Scheduled(
        # Five minutes after each pull. A pull still running holds the warehouse lock and the
        # reconciliation waits for it; reconciliation is derived from facts, so a run that sees
        # an earlier state is simply corrected by the next one.
        "reconcile", "flows.reconcile:reconcile", ("5-55/10 * * * *",),
        "Recompute payments, order statuses and exceptions 5 minutes after each pull.",
    ),
    Scheduled(
        "deliver-notifications", "flows.notify:deliver_notifications", ("* * * * *",),
        "Deliver due 速報 notifications (new events and retries) every minute.",
        on_collision=ConcurrencyLimitStrategy.CANCEL_NEW,
    ),
    Scheduled(
        "settle", "flows.settle:settle", ("0 7 * * *",),
        "Compute settlement drafts daily at 07:00, after the 確報 files of ~06:00; finalize "
        "those past their cut-off and write the payout files.",
        parameters={"finalize": True},
    ),
    Scheduled(
        # Renders whatever is due as of the run: the day's collection reports, statements of
        # settlements finalized at 07:00, the operations summary (and next month's settlement
        # schedules when due); a day it missed is caught up on the next.
        "render-reports", "flows.reports:render_reports", ("0 8 * * *",),
        "Render and mail the reports due at 08:00: collection reports, statements, operations "
        "summary.",
    ),
    Scheduled(
        # Its own deployment so the monthly job is visible (and rerunnable) on its own in the UI;
        # render-reports renders the schedules too when due: whichever runs first does it.
        "settlement-schedules", "flows.reports:render_schedules", ("0 8 1 * *",),
        "Render and mail next month's settlement schedules (入金スケジュール表) on the 1st at 08:00.",
    ),
)


def load_flow(spec: str):
    """The flow object named by "module:function"."""
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def deployment(s: Scheduled) -> RunnerDeployment:
    return load_flow(s.flow).to_deployment(
        name=s.name,
        schedules=[Cron(c, timezone=TIMEZONE) for c in s.crons],
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=s.on_collision),
        parameters=s.parameters,
        description=s.description,
        tags=TAGS + (["warehouse-writer"] if s.writes_warehouse else []),
        # "flows.ingest.pull_feeds": runs from any working directory of the installed package.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def deployments() -> list[RunnerDeployment]:
    return [deployment(s) for s in SCHEDULE]


WRITER_POOL, PARSE_POOL = "konbini-writer", "konbini-parse"  # the pools of docs/scaling.md


def pool_of(s: Scheduled, work_pool: str | None, parse_pool: str | None) -> str | None:
    """The work pool a deployment runs on: the writer pool (`work_pool`) for every flow that writes
    the warehouse, the parse pool for the others (docs/scaling.md, step 2; none yet)."""
    return parse_pool if parse_pool and not s.writes_warehouse else work_pool


def register(work_pool: str | None = None, parse_pool: str | None = None) -> list[str]:
    """Create or update the deployments on the Prefect API without serving them.

    Their runs execute only where something picks them up: `konbini serve`, or, with `work_pool`,
    the Prefect workers of that pool (`prefect worker start --pool <name>` on a machine where
    konbini is installed; docs/scaling.md). Returns the deployment ids.

    On a pool, a deployment has no pull step and no storage: its module-path entrypoint
    (`flows.ingest.pull_feeds`) is imported from the konbini installed beside the worker, so the
    code a worker runs is the version installed on its machine, and nothing is copied per run.
    """
    check_one_way({s.name: pool_of(s, work_pool, parse_pool) for s in SCHEDULE})
    ids = []
    for s, d in zip(SCHEDULE, deployments(), strict=True):
        if pool := pool_of(s, work_pool, parse_pool):
            # A worker's run beats at the rate the crashed-runs automation expects.
            d.job_variables = {"env": crashed_runs.run_environment()}
        ids.append(str(d.apply(work_pool_name=pool)))
    crashed_runs.ensure()
    return ids


def check_one_way(pools: dict[str, str | None]) -> None:
    """Refuse to register a deployment another way than the server has it: served by `konbini serve`
    (no work pool) against run by a pool's workers (`konbini deploy`). `pools`: the pool each
    deployment is about to get (None: served).

    Prefect keys a deployment by flow and name only, so the second registration would overwrite the
    first while the first's runner or workers kept taking its scheduled runs: every flow run twice."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    served, pooled = [], []
    with get_client(sync_client=True) as client:
        for s in SCHEDULE:
            full_name = f"{load_flow(s.flow).name}/{s.name}"
            try:
                now = client.read_deployment_by_name(full_name).work_pool_name
            except ObjectNotFound:
                continue
            if now is None and pools[s.name] is not None:
                served.append(full_name)
            elif now is not None and pools[s.name] is None:
                pooled.append(f"{full_name} (pool {now!r})")
    if served:
        raise KonbiniError(
            f"{len(served)} deployments are served by `konbini serve` (no work pool): {', '.join(served)}; "
            "stop that process and delete them (`prefect deployment delete NAME`) before putting them on "
            "work pools, or both would run every scheduled flow")
    if pooled:
        raise KonbiniError(
            f"{len(pooled)} deployments run on work pools (`konbini deploy`): {', '.join(pooled)}; delete "
            "them (`prefect deployment delete NAME`) before serving them here, or the workers and this "
            "process would both run every scheduled flow")


def check_pools(work_pool: str, parse_pool: str | None) -> None:
    """Refuse pools that do not exist, and a writer pool that could run two writers at once."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        for name in filter(None, (work_pool, parse_pool)):
            try:
                pool = client.read_work_pool(name)
            except ObjectNotFound:
                raise KonbiniError(f"work pool {name!r} does not exist: create it with "
                                   f"`prefect work-pool create {name} --type process`") from None
            if name == work_pool and (limit := pool.concurrency_limit) != 1:
                has = "no concurrency limit" if limit is None else f"concurrency limit {limit}"
                raise KonbiniError(f"work pool {name!r} has {has}: the pool of the writing flows must run "
                                   f"one at a time (`prefect work-pool set-concurrency-limit {name} 1`)")


def deploy(work_pool: str, parse_pool: str | None = None) -> list[str]:
    """`konbini deploy`: every deployment of the table on work pools instead of served here."""
    check_pools(work_pool, parse_pool)
    return register(work_pool, parse_pool)


def serve(limit: int | None = None, web: tuple[str, int] | None = ("127.0.0.1", 8000)) -> None:
    """Serve every deployment until interrupted (schedules are paused on shutdown), and the web
    管理画面 and console on `web` (host, port) in a thread of this process (docs/web.md)."""
    import prefect

    check_one_way({s.name: None for s in SCHEDULE})
    if web is not None:
        from tasks.settings import get_settings
        from web.server import start_in_thread

        start_in_thread(get_settings(), *web)
    crashed_runs.use_in_this_process()  # the runs served here are this process's children
    crashed_runs.ensure()
    prefect.serve(*deployments(), limit=limit)


if __name__ == "__main__":
    serve()
