"""The pull: list every folder of the inbox, order the files, and give each to its kind's handler in
one transaction of its own; move it aside only after that transaction commits.

    pull(warehouse, as_of, settings, source=None, *, retry_delays=RETRY_DELAYS) -> list[FileOutcome]

`source` is a `tasks.sources.Source`, an inbox URL or folder, or None for `settings.inbox_url`.
Outcome states: accepted, quarantined (recorded by the handler), duplicate (same folder, name and
bytes as a recorded file: nothing changes, the file is moved aside), rejected_name (a name the spec
does not know: never read, left where it is), skipped (no handler for the kind yet; left in place).

An inbox that cannot be reached is retried with backoff (`retry_delays`); if it still fails, the
attempt is recorded in `source_attempts` and `SourceUnreachable` is raised, with `alert` set once
the source has been unreachable for 2 hours (the flow then fails loudly; before, it only warns).
A handler that raises (a bug, not bad input) rolls its file back and stops the pull: later files
may depend on it (orders before their payments), and the next run starts again from that file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import import_module
from pathlib import Path

import duckdb

from tasks.errors import KonbiniError
from tasks.inbox import FileOutcome, InboundFile, Reason, is_duplicate
from tasks.settings import Settings
from tasks.sources import Source, SourceError, open_source
from tasks.sources.status import record_attempt, unreachable
from tasks.warehouse import Warehouse, transaction

log = logging.getLogger("konbini.ingest")

RETRY_DELAYS = (2.0, 10.0, 30.0)  # seconds between attempts to reach an inbox within one pull
CHECKPOINT_THRESHOLD = "512MB"  # WAL size that triggers a checkpoint during a pull

Handler = Callable[[duckdb.DuckDBPyConnection, InboundFile, datetime, Settings], FileOutcome]
# inbox kind -> (module, function); imported when first needed
HANDLERS: dict[str, tuple[str, str]] = {
    "ORDERS": ("tasks.orders", "ingest_orders_file"),
    "ORDER_CANCELS": ("tasks.orders", "ingest_cancellations_file"),
    **{kind: ("tasks.feeds", "ingest_feed_file") for kind in ("SEJ_01", "SEJ_02", "FM_S", "FM_K", "CVS")},
}


class SourceUnreachable(KonbiniError):
    """The inbox could not be reached; `alert` once unreachable for 2 hours; `outcomes` so far."""

    def __init__(self, message: str, alert: bool):
        super().__init__(message)
        self.alert = alert
        self.outcomes: list[FileOutcome] = []


def handler_for(kind: str) -> Handler | None:
    module_name, function = HANDLERS[kind]
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as e:  # an area not built yet
        if e.name != module_name:
            raise
        return None
    return getattr(module, function, None)


def _with_retries(action: Callable, delays: Sequence[float]):
    for attempt in range(len(delays) + 1):
        try:
            return action()
        except SourceError as e:
            if attempt == len(delays):
                raise
            log.warning("inbox not reachable (%s); retrying in %.0f s", e, delays[attempt])
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")


def _unreachable(
    con: duckdb.DuckDBPyConnection, src: Source, as_of: datetime, error: SourceError,
    outcomes: list[FileOutcome],
) -> SourceUnreachable:
    """Record the failed attempt (own transaction) and word the error, alerting after 2 hours."""
    with transaction(con):
        record_attempt(con, src.label, as_of, ok=False, error=str(error))
    state = unreachable(con, as_of).filter(source=src.label).row(0, named=True)
    message = f"inbox {src.label} unreachable since {state['unreachable_since']:%Y-%m-%d %H:%M} JST: {error}"
    if state["alert"]:
        log.error("%s (2 hours or more)", message)
    else:
        log.warning("%s", message)
    e = SourceUnreachable(message, alert=bool(state["alert"]))
    e.outcomes = outcomes
    return e


def pull(
    warehouse: Warehouse,
    as_of: datetime,
    settings: Settings,
    source: Source | str | None = None,
    *,
    retry_delays: Sequence[float] = RETRY_DELAYS,
) -> list[FileOutcome]:
    """Ingest every file waiting in the inbox, in spec order, one transaction per file."""
    if source is None and settings.inbox is None:  # our own default folder: create it on first use
        Path(settings.inbox_url).mkdir(parents=True, exist_ok=True)
    src = source if isinstance(source, Source) else open_source(
        source or settings.inbox_url, settings.inbox_options)
    try:
        listing = _with_retries(src.list, retry_delays)
    except SourceError as e:
        with warehouse.session() as con:
            raise _unreachable(con, src, as_of, e, []) from None

    outcomes = [
        FileOutcome(name, folder, "rejected_name", reasons=[
            Reason(f"file name does not match the spec for {folder}/; not read", None, "name", name)])
        for folder, name in listing.bad_names
    ]
    for o in outcomes:
        log.warning("rejected unread: %s/%s (name does not match the spec)", o.kind, o.name)

    with warehouse.session() as con:
        # one checkpoint when the session closes rather than one per large file: commits stay
        # durable through the WAL, and a checkpoint costs more the bigger the warehouse grows
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        with transaction(con):
            record_attempt(con, src.label, as_of, ok=True)
        for meta in listing.files:
            handler = handler_for(meta.kind)
            if handler is None:
                why = Reason(f"no handler for {meta.kind} yet; left in the inbox")
                outcomes.append(FileOutcome(meta.name, meta.kind, "skipped", reasons=[why]))
                continue
            try:
                content = _with_retries(lambda m=meta: src.fetch(m), retry_delays)
            except FileNotFoundError:
                log.warning("%s/%s disappeared before it was read", meta.folder, meta.name)
                continue
            except SourceError as e:
                raise _unreachable(con, src, as_of, e, outcomes) from None
            f = InboundFile(meta, content)
            with transaction(con):
                if is_duplicate(con, f):
                    outcome = FileOutcome(meta.name, meta.kind, "duplicate")
                else:
                    outcome = handler(con, f, as_of, settings)
            # committed: only now is the file moved aside (a crash before leaves a duplicate)
            try:
                _with_retries(lambda m=meta, s=f.sha256: src.mark_processed(m, s), retry_delays)
            except SourceError as e:
                outcomes.append(outcome)
                raise _unreachable(con, src, as_of, e, outcomes) from None
            log.info("%s/%s: %s%s", meta.folder, meta.name, outcome.state,
                     f" ({len(outcome.reasons)} reasons)" if outcome.reasons else "")
            outcomes.append(outcome)
    return outcomes
