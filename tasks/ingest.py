"""The pull: list every folder of the inbox, order the files, and give each to its kind's handler in
one transaction of its own; move it aside only after that transaction commits.

    pull(warehouse, as_of, settings, source=None, *, retry_delays=RETRY_DELAYS) -> list[FileOutcome]

`source` is a `tasks.sources.Source`, an inbox URL or folder, or None for `settings.inbox_url`.
Outcome states (tasks.inbox.FileOutcome): accepted, quarantined (recorded by the handler), duplicate
(same folder, name and bytes as a recorded file: nothing changes, the file is moved aside),
rejected_name and rejected_entry (never read, left where they are), unreadable, vanished (gone
between listing and reading, e.g. taken by a concurrent pull).

An inbox that cannot be reached is retried with backoff (`retry_delays`); if it still fails, the
attempt is recorded in `source_attempts` and `SourceUnreachable` is raised, with `alert` set once
the source has been unreachable for 2 hours (the flow then fails loudly; before, it only warns).
One entry that cannot be read or moved aside while the inbox answers (a permission, a `processed`
path that is a file) is recorded in `inbox_entry_failures` and the pull goes on with the others;
its outcome gets `alert` once it has failed for 2 hours.
A handler that raises (a bug, not bad input) rolls its file back and stops the pull: later files
may depend on it (orders before their payments), and the next run starts again from that file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from tasks.errors import KonbiniError
from tasks.inbox import FileName, FileOutcome, InboundFile, Reason, recorded
from tasks.inbox_kinds import BY_KIND
from tasks.settings import Settings
from tasks.sources import EntryError, Listing, Source, SourceError, open_source
from tasks.sources.status import record_attempt, record_entry_failure, stuck_entries, unreachable
from tasks.warehouse import Warehouse, transaction

log = logging.getLogger("konbini.ingest")

RETRY_DELAYS = (2.0, 10.0, 30.0)  # seconds between attempts to reach an inbox within one pull
CHECKPOINT_THRESHOLD = "512MB"  # WAL size that triggers a checkpoint during a pull


class SourceUnreachable(KonbiniError):
    """The inbox could not be reached; `alert` once unreachable for 2 hours; `outcomes` so far."""

    def __init__(self, message: str, alert: bool):
        super().__init__(message)
        self.alert = alert
        self.outcomes: list[FileOutcome] = []


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
    rows = unreachable(con, as_of).filter(source=src.label).select("unreachable_since", "alert")
    # lost in the middle of a pull that reached it at the same as_of: unreachable from now
    since, alert = rows.row(0) if rows.height else (as_of, False)
    message = f"inbox {src.label} unreachable since {since:%Y-%m-%d %H:%M} JST: {error}"
    if alert:
        log.error("%s (2 hours or more)", message)
    else:
        log.warning("%s", message)
    e = SourceUnreachable(message, alert=bool(alert))
    e.outcomes = outcomes
    return e


def _rejected(listing: Listing) -> list[FileOutcome]:
    """Entries listed but never read: names outside the spec, and anything not a regular file."""
    outcomes = []
    for r in listing.rejected:
        state = "rejected_name" if r.regular_file else "rejected_entry"
        where = f"{r.folder}/{r.name}" if r.folder else r.name
        outcomes.append(FileOutcome(r.name, r.folder, state, reasons=[Reason(r.reason, None, "name", where)]))
        log.warning("rejected unread: %s (%s)", where, r.reason)
    return outcomes


def _entry_failed(
    con: duckdb.DuckDBPyConnection, src: Source, as_of: datetime, meta: FileName, action: str,
    error: Exception,
) -> None:
    """Record an entry that could not be read or moved (own transaction); the pull goes on."""
    log.error("%s/%s: %s; left in the inbox, tried again next pull", meta.folder, meta.name, error)
    with transaction(con):
        record_entry_failure(con, src.label, meta.folder, meta.name, as_of, action, str(error))


def _flag_stuck(con: duckdb.DuckDBPyConnection, src: Source, as_of: datetime, outcomes: list[FileOutcome]):
    """Mark the outcomes of entries failing for 2 hours or more (the flow then fails loudly)."""
    stuck = stuck_entries(con, as_of).filter(source=src.label, alert=True)
    for folder, name, since in stuck.select("folder", "name", "failing_since").iter_rows():
        log.error("%s/%s in %s has failed since %s JST (2 hours or more)", folder, name, src.label, since)
        for o in outcomes:
            if o.name == name and (o.state == "unreadable" or o.not_moved) and o.kind in BY_KIND \
                    and BY_KIND[o.kind].folder == folder:
                o.alert = True


@dataclass
class _Fetched:
    """A file read before its turn, with its parse under way (a feed file), or why it could not be."""

    file: InboundFile | None = None
    error: Exception | None = None

    def content(self) -> bytes:
        if self.error is not None:
            raise self.error
        return self.file.content


def _fetch(src: Source, meta: FileName, settings: Settings, delays: Sequence[float],
           parsing: ThreadPoolExecutor) -> _Fetched:
    """Read a file and start its kind's `prepare` (parse and own checks) in the background while the
    writer stores the file before it: that needs no warehouse, and Polars and DuckDB leave the GIL.
    A failure to read is kept, and raised at the file's turn, where the pull handles it."""
    try:
        f = InboundFile(meta, _with_retries(lambda: src.fetch(meta), delays))
    except Exception as e:  # noqa: BLE001 - raised again, unchanged, by _Fetched.content
        return _Fetched(error=e)
    kind = BY_KIND[meta.kind]
    if kind.prepare is not None:
        f.parsed = parsing.submit(kind.prepare, f, settings).result
    return _Fetched(f)


def _process(
    con: duckdb.DuckDBPyConnection, src: Source, meta: FileName, fetched: _Fetched, as_of: datetime,
    settings: Settings, delays: Sequence[float], outcomes: list[FileOutcome],
    known: set[tuple[str, str, str]],
) -> None:
    """Run a fetched file's handler in a transaction of its own, then move the file aside;
    its outcome is added to `outcomes` as soon as it is committed. `known`: the files of the listing
    recorded before the pull (`tasks.inbox.recorded`), so a duplicate costs no query."""
    try:
        content = fetched.content()
    except FileNotFoundError:  # e.g. taken by another pull that held the warehouse before us
        log.warning("%s/%s disappeared between listing and reading", meta.folder, meta.name)
        gone = Reason("disappeared between listing and reading; nothing to do")
        outcomes.append(FileOutcome(meta.name, meta.kind, "vanished", reasons=[gone]))
        return
    except EntryError as e:
        _entry_failed(con, src, as_of, meta, "read", e)
        why = Reason(f"{e}; left in the inbox")
        outcomes.append(FileOutcome(meta.name, meta.kind, "unreadable", reasons=[why]))
        return
    f = fetched.file if fetched.file is not None else InboundFile(meta, content)
    with transaction(con):
        if (meta.folder, meta.name, f.sha256) in known:
            outcome = FileOutcome(meta.name, meta.kind, "duplicate")
        else:
            outcome = BY_KIND[meta.kind].handler(con, f, as_of, settings)
    outcomes.append(outcome)
    # committed: only now is the file moved aside (a crash before leaves a duplicate)
    try:
        _with_retries(lambda: src.mark_processed(meta, f.sha256), delays)
    except (FileNotFoundError, EntryError) as e:
        outcome.not_moved = f"{e}; left in the inbox: the next pull finds it a duplicate"
        _entry_failed(con, src, as_of, meta, "move", e)
    log.info("%s/%s: %s%s", meta.folder, meta.name, outcome.state,
             f" ({len(outcome.reasons)} reasons)" if outcome.reasons else "")


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

    outcomes = _rejected(listing)
    with warehouse.session() as con:
        # one checkpoint when the session closes rather than one per large file: commits stay
        # durable through the WAL, and a checkpoint costs more the bigger the warehouse grows
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        with transaction(con):
            record_attempt(con, src.label, as_of, ok=True)
        files = listing.files
        known = recorded(con, files)
        with ThreadPoolExecutor(1, thread_name_prefix="konbini-parse") as parsing:
            ahead = _fetch(src, files[0], settings, retry_delays, parsing) if files else None
            for i, meta in enumerate(files):
                fetched = ahead
                if i + 1 < len(files):  # the next file is read and parsed while this one merges
                    ahead = _fetch(src, files[i + 1], settings, retry_delays, parsing)
                try:
                    _process(con, src, meta, fetched, as_of, settings, retry_delays, outcomes, known)
                except SourceError as e:
                    raise _unreachable(con, src, as_of, e, outcomes) from None
        _flag_stuck(con, src, as_of, outcomes)
    return outcomes
