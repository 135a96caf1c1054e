"""Runs whose machine died are marked Crashed by the Prefect server itself (docs/operations.md).

A konbini flow run reports a heartbeat every `heartbeat_seconds()` while it runs. When its process,
worker or machine dies, nobody reports its end: without this it stays Running and holds the writer
pool's only slot until an operator marks it Crashed. `ensure` puts one automation on the server:
after a konbini run starts running or beats, if neither another beat nor a final state arrives
within `MISSED_BEATS` beats, the server sets the run Crashed; **Retry** then reruns it, and reruns
are safe (every write is one transaction).

Prefect's own recipe (docs.prefect.io, "detect zombie flows"), keyed here on the `konbini` tag so
that other teams' runs on a shared server are left alone, and started by the Running state as well
as by a beat, so a run killed before its first beat reached the server is caught too.
"""

from __future__ import annotations

import os
from datetime import timedelta

NAME = "konbini: mark runs without heartbeat Crashed"
TAG = "konbini"  # every konbini deployment's tag (flows/serve.py)
HEARTBEAT_VAR = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
DEFAULT_HEARTBEAT = 60  # seconds; Prefect's own default (180) would leave a dead run Running 9 min
MISSED_BEATS = 3
FINAL_STATES = ("Completed", "Failed", "Cancelled", "Crashed")


def heartbeat_seconds() -> int:
    """The beat of konbini's runs: Prefect's setting when the operator set it, else ours."""
    from prefect.settings import get_current_settings

    flows = get_current_settings().flows
    if "heartbeat_frequency" in flows.model_fields_set and flows.heartbeat_frequency:
        return flows.heartbeat_frequency
    return DEFAULT_HEARTBEAT


def run_environment() -> dict[str, str]:
    """What a run's process needs to beat at that rate (a deployment's `env` job variable)."""
    return {HEARTBEAT_VAR: str(heartbeat_seconds())}


def use_in_this_process() -> None:
    """For `konbini serve`: the runs it starts inherit this process's environment."""
    os.environ.update(run_environment())


def automation(beat: int):
    from prefect.automations import AutomationCore, EventTrigger, Posture, ResourceSpecification
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState

    window = MISSED_BEATS * beat
    return AutomationCore(
        name=NAME,
        description=f"A konbini flow run silent for {window} s (no heartbeat, no final state) "
                    "has lost its process: mark it Crashed so that it can be retried.",
        trigger=EventTrigger(
            after={"prefect.flow-run.Running", "prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{s}" for s in FINAL_STATES)},
            match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
            match_related=ResourceSpecification({"prefect.resource.role": "tag",
                                                 "prefect.resource.id": f"prefect.tag.{TAG}"}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=window),
        ),
        actions=[ChangeFlowRunState(
            state=StateType.CRASHED,
            message=f"no heartbeat for {window} s: the run's process, worker or machine was lost",
        )],
    )


def ensure() -> str:
    """Create the automation, or update it in place (same name) to this beat; returns its id."""
    from prefect import get_client

    wanted = automation(heartbeat_seconds())
    with get_client(sync_client=True) as client:
        found = client.read_automations_by_name(NAME)
        if not found:
            return str(client.create_automation(wanted))
        for extra in found[1:]:  # two `konbini deploy` at once may both have created it
            client.delete_automation(extra.id)
        client.update_automation(found[0].id, wanted)
        return str(found[0].id)
