"""`konbini ingest` (pull the inbox by hand), `konbini files` (what came in, with reasons),
`konbini sequences` (file sequence numbers and open gaps)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import as_of_option as _as_of
from flows.commands.options import print_table
from tasks.errors import KonbiniError

out = Console()
STATES = ("accepted", "quarantined")


def _reasons(reasons) -> str:
    return "\n".join(str(r) for r in reasons)


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest_cmd(
        path: Annotated[
            str | None,
            typer.Argument(help="Inbox to pull instead of the configured one: a folder or an sftp:// URL."),
        ] = None,
        as_of: Annotated[str | None, typer.Option(help="Time of the pull (default: now, JST).")] = None,
    ) -> None:
        """Pull everything waiting in the inbox now: orders, cancellations and the chains' files.

        Exit code 1 when a file needs attention (quarantined, rejected unread, unreadable or not
        moved aside), 2 on an error.
        """
        from tasks.intake_pull import export_and_pull
        from tasks.settings import get_settings
        from tasks.warehouse import open_warehouse

        when = _as_of(as_of)
        if path is not None and "://" not in path and not Path(path).is_dir():
            raise KonbiniError(f"inbox folder {path} does not exist or is not a folder")
        settings = get_settings()
        warehouse = open_warehouse(settings)
        outcomes = export_and_pull(warehouse, when, settings, path, retry_delays=(1.0, 5.0))
        if any(o.state in STATES for o in outcomes):
            warehouse.publish()
        table = Table(title=f"inbox pulled as of {when:%Y-%m-%d %H:%M} JST: {len(outcomes)} file(s)")
        for c in ("file", "kind", "state", "counts", "reasons"):
            table.add_column(c, overflow="fold")
        for o in outcomes:
            counts = ", ".join(f"{k} {v}" for k, v in o.counts.items())
            state = o.state + (" (not moved aside)" if o.not_moved else "")
            reasons = _reasons(o.reasons[:20]) + (f"\n{o.not_moved}" if o.not_moved else "")
            table.add_row(o.name, o.kind, state, counts, reasons.strip())
        out.print(table)
        if any(o.needs_attention for o in outcomes):
            raise typer.Exit(1)

    @app.command("files")
    def files_cmd(
        state: Annotated[
            str | None, typer.Option(help="Only files in this state: accepted or quarantined.")
        ] = None,
        kind: Annotated[
            str | None, typer.Option(help="Only this kind, e.g. SEJ_01, FM_K, CVS, ORDERS.")
        ] = None,
        limit: Annotated[int, typer.Option(help="Most recent files shown.")] = 50,
    ) -> None:
        """List the files taken from the inbox, newest first, with their state and every reason."""
        from tasks.inbox import recorded_files
        from tasks.lookups import require_file_kind
        from tasks.warehouse import open_warehouse

        if state is not None and state not in STATES:
            raise KonbiniError(f"--state {state!r} is not one of {', '.join(STATES)}")
        if kind is not None:
            require_file_kind(kind, "--kind")
        with open_warehouse().read() as con:
            rows = recorded_files(con, state, kind, limit)
        table = Table(title=f"{len(rows)} file(s)" + (f" {state}" if state else ""))
        for c in ("id", "file", "kind", "seq", "created", "received", "state", "records", "reasons"):
            table.add_column(c, no_wrap=c in ("id", "file", "kind", "seq"))
        for r in rows:
            table.add_row(
                str(r.file_id),
                r.path,
                r.kind,
                f"{r.sequence_no:06d}",
                f"{r.created_at:%Y-%m-%d %H:%M:%S}",
                f"{r.received_at:%Y-%m-%d %H:%M}",
                r.state,
                str(r.records),
                _reasons(r.reasons),
            )
        print_table(out, table)  # nothing cut; cells printed as data, unhighlighted (cheaper)

    @app.command("sequences")
    def sequences_cmd(
        as_of: Annotated[str | None, typer.Option(help="Gaps as of this time (default: now, JST).")] = None,
    ) -> None:
        """Last accepted sequence number per file sequence, and every open gap."""
        from tasks.feeds import sequence_gaps
        from tasks.feeds.sequences import last_accepted
        from tasks.warehouse import open_warehouse

        when = _as_of(as_of)
        with open_warehouse().read() as con:
            seqs = last_accepted(con)
            gaps = sequence_gaps(con, when)
        table = Table(title="file sequences")
        for c in ("sequence", "last accepted", "accepted files"):
            table.add_column(c)
        for k, last, n in seqs:
            table.add_row(k, f"{last:06d}", str(n))
        out.print(table)
        gap_table = Table(title=f"open gaps as of {when:%Y-%m-%d %H:%M} JST: {gaps.height}")
        for c in ("sequence", "missing", "higher first accepted", "alert from"):
            gap_table.add_column(c)
        for k, seq, seen, alert in gaps.iter_rows():
            gap_table.add_row(k, f"{seq:06d}", f"{seen:%Y-%m-%d %H:%M}", f"{alert:%Y-%m-%d %H:%M}")
        out.print(gap_table)
