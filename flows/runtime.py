"""How konbini's flows run: as Prefect runs when there is a Prefect API, as plain calls otherwise.

Every flow and task in flows/ is declared with `flow` / `task` from here. They *are* Prefect flows
and tasks (subclasses): deployments, `konbini serve` and the UI see no difference. Only calling one
differs, and the code it runs is the same either way:
- **orchestrated**: inside a Prefect run, or with a Prefect API configured (`PREFECT_API_URL`, or
  `prefect_test_harness`), a call is Prefect's own: a flow run or task run with its state, logs,
  retries and artifacts in the UI;
- **direct**: otherwise (a one-off `konbini` command on a machine without a Prefect server) the
  call runs the decorated function in this process, without starting the temporary Prefect server
  that costs 10-20 s per process. Parameters are validated and coerced as Prefect does, a flow's
  `retries` are honoured; logs go to the `konbini.<flow>` logger, artifacts to that log (DEBUG).

Flows log with `logger()` and publish with `table_artifact()` / `markdown_artifact()`, which work
in both modes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

import prefect
import pydantic
from prefect._internal.pydantic.validated_func import ValidatedFunction
from prefect.context import FlowRunContext, TaskRunContext
from prefect.settings import get_current_settings
from prefect.states import State
from prefect.utilities.callables import call_with_parameters, get_call_parameters, parameters_to_args_kwargs

# parameter values validated with the flow's cached validator; anything else goes through Prefect's
_SCALARS = (type(None), str, int, float, bool, datetime, date)


def _plain(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(isinstance(v, _SCALARS) for v in value)
    return isinstance(value, _SCALARS)


_direct_flow: ContextVar[str | None] = ContextVar("konbini_direct_flow", default=None)
LOGGER = "konbini"


def in_prefect_run() -> bool:
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def orchestrated() -> bool:
    """True when calls go through Prefect: inside a Prefect run, or a Prefect API is configured."""
    return in_prefect_run() or bool(get_current_settings().api.url)


def _retry_delay(delays: Any, attempt: int) -> float:
    """Seconds before retry `attempt` + 1, from Prefect's `retry_delay_seconds` (a number, a list, or
    a function of the number of retries giving a list)."""
    if callable(delays):
        delays = delays(attempt + 1)
    if isinstance(delays, list | tuple):
        return float(delays[min(attempt, len(delays) - 1)]) if delays else 0.0
    return float(delays or 0)


def _call_direct(name: str, fn: Callable, parameters: dict[str, Any], retries: int, delays: Any) -> Any:
    token = _direct_flow.set(name)
    try:
        for attempt in range(retries + 1):
            try:
                return _result(call_with_parameters(fn, parameters))
            except Exception as e:
                if attempt == retries:
                    raise
                wait = _retry_delay(delays, attempt)
                logger().warning("%s failed (%s: %s); retry %d of %d in %.0f s",
                                 name, type(e).__name__, e, attempt + 1, retries, wait)
                time.sleep(wait)
    finally:
        _direct_flow.reset(token)


def _result(value: Any) -> Any:
    """What calling the flow gives, as Prefect gives it: a flow may end by returning a State (e.g.
    `Completed(name="Completed with quarantines", data=rows)`): its data, or its failure raised."""
    if isinstance(value, State):
        return value.result(raise_on_failure=True)
    return value


class Flow(prefect.Flow):
    """A Prefect flow that, called without a Prefect API, runs its function directly."""

    def __call__(self, *args: Any, return_state: bool = False, wait_for: Any = None, **kwargs: Any) -> Any:
        if return_state or wait_for is not None or orchestrated():
            return super().__call__(*args, return_state=return_state, wait_for=wait_for, **kwargs)
        parameters = get_call_parameters(self.fn, args, kwargs)
        if self.should_validate_parameters:
            parameters = self._validated(parameters)
        return _call_direct(self.name, self.fn, parameters, self.retries or 0, self.retry_delay_seconds)

    def _validated(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """`validate_parameters` as Prefect does it, with the flow's validator built once instead of
        at every call (~3 ms each: a demo makes ~190 flow calls). Parameters that Prefect treats
        specially (block references in dicts, pydantic models) take Prefect's own path."""
        if not all(_plain(v) for v in parameters.values()):
            return self.validate_parameters(parameters)
        validator = self.__dict__.get("_konbini_validator")
        if validator is None:
            validator = ValidatedFunction(self.fn, config=pydantic.ConfigDict(arbitrary_types_allowed=True))
            self.__dict__["_konbini_validator"] = validator
        args, kwargs = parameters_to_args_kwargs(self.fn, parameters)
        try:
            return validator.validate_call_args(args, kwargs)
        except pydantic.ValidationError:
            return self.validate_parameters(parameters)  # Prefect's own error and log line


class Task(prefect.Task):
    """A Prefect task that, called outside Prefect (direct mode), runs its function directly."""

    def __call__(self, *args: Any, return_state: bool = False, wait_for: Any = None, **kwargs: Any) -> Any:
        if return_state or wait_for is not None or orchestrated():
            return super().__call__(*args, return_state=return_state, wait_for=wait_for, **kwargs)
        parameters = get_call_parameters(self.fn, args, kwargs)
        return _call_direct(_direct_flow.get() or self.name, self.fn, parameters, self.retries or 0,
                            self.retry_delay_seconds)


def flow(**options: Any) -> Callable[[Callable], Flow]:
    """`@flow(name=..., retries=...)`: Prefect's `@flow` options, giving a `runtime.Flow`."""
    return lambda fn: Flow(fn=fn, **options)


def task(**options: Any) -> Callable[[Callable], Task]:
    """`@task(name=..., cache_policy=...)`: Prefect's `@task` options, giving a `runtime.Task`."""
    return lambda fn: Task(fn=fn, **options)


def logger() -> logging.Logger | logging.LoggerAdapter:
    """The run's logger (sent to the Prefect API) in a Prefect run; `konbini.<flow>` otherwise."""
    if in_prefect_run():
        return prefect.get_run_logger()
    return logging.getLogger(f"{LOGGER}.{_direct_flow.get() or 'flows'}")


@contextmanager
def console_logs(level: str) -> Iterator[None]:
    """Print the flows' log lines from `level` on ("INFO", "ERROR") while inside: the `konbini`
    loggers of direct mode and the console handlers Prefect installs. What Prefect sends to its
    API (the run's logs in the UI) is unchanged."""
    konbini = logging.getLogger(LOGGER)
    saved = [(konbini, konbini.level)] + [(h, h.level) for h in logging.getLogger().handlers]
    for obj, _ in saved:
        obj.setLevel(level)
    try:
        yield
    finally:
        for obj, lvl in saved:
            obj.setLevel(lvl)


def table_artifact(table: list[dict[str, Any]], key: str, description: str) -> None:
    """A table artifact of the run (UI ▸ Artifacts); logged at DEBUG level outside Prefect."""
    if in_prefect_run():
        from prefect.artifacts import create_table_artifact

        create_table_artifact(table=table, key=key, description=description)
    else:
        logger().debug("artifact %s (%s): %s", key, description, table)


def markdown_artifact(markdown: str, key: str, description: str) -> None:
    """A markdown artifact of the run (UI ▸ Artifacts); logged at DEBUG level outside Prefect."""
    if in_prefect_run():
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(markdown=markdown, key=key, description=description)
    else:
        logger().debug("artifact %s (%s):\n%s", key, description, markdown)
