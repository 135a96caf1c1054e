"""The last runs of each flow, from the Prefect API, with links into the Prefect UI (console).

Only with PREFECT_API_URL set: without it there is no history to show (a temporary server would
start and know nothing), and the console says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FlowRun:
    flow: str
    name: str
    state: str
    started: datetime | None
    ended: datetime | None
    url: str | None  # the run in the Prefect UI


def api_url() -> str | None:
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def last_runs(per_flow: int = 5, limit: int = 200) -> list[FlowRun] | None:
    """The newest runs (at most `per_flow` of each flow), newest first; None without a Prefect API."""
    if not api_url():
        return None
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import get_current_settings

    ui = get_current_settings().ui_url
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(limit=limit, sort=FlowRunSort.START_TIME_DESC)
        names = {f.id: f.name for f in client.read_flows(limit=200)}
    kept, seen = [], {}
    for r in runs:
        flow = names.get(r.flow_id, str(r.flow_id))
        seen[flow] = seen.get(flow, 0) + 1
        if seen[flow] <= per_flow:
            kept.append(FlowRun(flow, r.name, r.state_name or "", r.start_time, r.end_time,
                                f"{ui.rstrip('/')}/runs/flow-run/{r.id}" if ui else None))
    return kept
