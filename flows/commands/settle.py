"""`konbini calendar`, `konbini settle`, `konbini clawback`: the settlement calendar, settlement runs
(drafts and finalization with payout files) and claw-backs of settled payments."""

from __future__ import annotations

import getpass
from datetime import date, datetime

import typer
from rich.console import Console
from rich.table import Table

from flows.commands.options import as_of_option as _as_of
from tasks.errors import KonbiniError

SHOW_LINES = 50  # line changes printed; all are in settlement_draft_changes
out = Console(soft_wrap=True)  # paths and ids are never wrapped


def _wide() -> Console:
    """Tables keep whole settlement ids and dates even when piped (or in a narrow terminal)."""
    return Console(width=max(out.width, 200))


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise KonbiniError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def _month(text: str) -> tuple[int, int]:
    try:
        d = datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise KonbiniError(f"--month {text!r} is not a month (YYYY-MM)") from None
    return d.year, d.month


def _yen(v: int) -> str:
    return f"{v:,}"


def _statements_table(r) -> Table:
    table = Table(title=f"settlement run {r.run_id} ({r.mode}) as of {r.as_of:%Y-%m-%d %H:%M}")
    cols = ("settlement", "period", "cut-off", "payout", "payments", "total", "fees", "tax", "stamps",
            "adj.", "carried in", "net", "state", "changes")
    for c in cols:
        table.add_column(c, justify="right" if c in cols[4:12] else "left")
    for s in r.statements.sort(["payout_date", "merchant_id", "period_start"]).iter_rows(named=True):
        changed = r.changes.filter(r.changes["settlement_id"] == s["settlement_id"])
        kinds = changed["change"].value_counts(sort=True).iter_rows() if changed.height else []
        table.add_row(
            s["settlement_id"], f"{s['period_start']:%m-%d}..{s['period_end']:%m-%d}",
            f"{s['cutoff']:%Y-%m-%d}", f"{s['payout_date']:%Y-%m-%d}", str(s["payment_count"]),
            _yen(s["payments_total"]), _yen(s["fees"]), _yen(s["tax"]), _yen(s["stamps"]),
            _yen(s["adjustments"]), _yen(s["carried_in"]), _yen(s["net"]), s["state"],
            ", ".join(f"{k} {n}" for k, n in kinds),
        )
    return table


def _next_cutoff(r) -> str:
    if r.next_cutoff is None:
        return ""
    return f"; next cut-off {r.next_cutoff:%Y-%m-%d %H:%M:%S} JST (payout {r.next_payout_date:%Y-%m-%d})"


def register(app: typer.Typer) -> None:
    @app.command("calendar")
    def calendar_cmd(
        month: str = typer.Option(..., help="The month of paid dates, YYYY-MM."),
        merchant: str = typer.Option(None, help="The merchant (its cycle from the current master)."),
        cycle: int = typer.Option(None, help="Or a cycle (1, 2 or 6) without a merchant."),
    ) -> None:
        """Settlement periods of a month with their cut-offs and payout dates."""
        from tasks.settle.calendar import CYCLES, merchant_cycle, periods_of_month

        year, mon = _month(month)
        title = f"settlement calendar {month}"
        if merchant:
            from tasks.warehouse import open_warehouse

            with open_warehouse().read() as con:
                cycle = merchant_cycle(con, merchant)
            title += f" — {merchant}"
        if cycle is None:
            raise KonbiniError("calendar: give --merchant M000001 or --cycle 1|2|6")
        if cycle not in CYCLES:
            raise KonbiniError(f"--cycle {cycle}: a settlement cycle is one of {', '.join(map(str, CYCLES))}")
        table = Table(title=f"{title} (cycle {cycle}: {cycle}× a month)")
        for c in ("period", "cut-off (JST)", "payout date", "moved from"):
            table.add_column(c)
        for p in periods_of_month(cycle, year, mon):
            table.add_row(
                f"{p.start:%Y-%m-%d} .. {p.end:%Y-%m-%d}",
                f"{p.cutoff:%Y-%m-%d %H:%M:%S}",
                f"{p.payout_date:%Y-%m-%d (%a)}",
                "" if p.payout_date == p.nominal_payout else f"{p.nominal_payout:%Y-%m-%d (%a)}",
            )
        _wide().print(table)

    @app.command("settle")
    def settle_cmd(
        as_of: str = typer.Option(None, help="Time of the run (JST), e.g. 2026-11-12T07:00; default now."),
        payout_date: str = typer.Option(
            None, help="Only settlements paid out on this date (YYYY-MM-DD); previews it before its cut-off."
        ),
        finalize: bool = typer.Option(
            False, help="Finalize settlements past their cut-off and write the payout files."
        ),
        by: str = typer.Option(None, help="Who finalizes (default: the login name)."),
    ) -> None:
        """Compute settlement statements (drafts), show what changed since the last run; --finalize."""
        from tasks.settings import get_settings
        from tasks.settle.payouts import payout_file_path, write_payout_files
        from tasks.settle.run import run_settlement
        from tasks.warehouse import open_warehouse

        at, paid_on = _as_of(as_of), _date(payout_date, "--payout-date")  # checked before any work
        settings = get_settings()
        wh = open_warehouse(settings)
        with wh.write() as con:  # one unit of work, then the files on disk: as the daily flow does
            r = run_settlement(con, at, settings, payout_date=paid_on, finalize=finalize,
                               by=by or getpass.getuser())
        with wh.session() as con:
            write_payout_files(con, settings.out_dir)
        if not r.statements.height:
            out.print(f"nothing past its cut-off as of {r.as_of:%Y-%m-%d %H:%M}: no settlement to compute"
                      + _next_cutoff(r))
        else:
            _wide().print(_statements_table(r))
        figures = [c for c in r.changes.iter_rows(named=True) if c["change"] in ("figure", "gone")]
        for c in figures:
            out.print(f"  {c['settlement_id']}: {c['item']} {c['before_value']} → {c['after_value']}")
        line_changes = r.changes.filter(r.changes["change"].is_in(["line_added", "line_removed"]))
        for c in line_changes.head(SHOW_LINES).iter_rows(named=True):
            what = c["payment_id"] or (c["fee_month"] and f"{c['fee_month']:%Y-%m}") or ""
            out.print(f"  {c['settlement_id']}: {c['change'].replace('_', ' ')} {c['item']} {what} "
                      f"{c['after_value'] if c['change'] == 'line_added' else c['before_value']}")
        if line_changes.height > SHOW_LINES:
            out.print(f"  … and {line_changes.height - SHOW_LINES} more line changes "
                      f"(settlement_draft_changes, run_id {r.run_id})")
        if finalize and r.check_ok and not r.finalized and r.statements.height:
            out.print("nothing to finalize: no settlement "
                      + (f"paid out on {r.payout_date} " if r.payout_date else "")
                      + "is past its cut-off and not finalized yet" + _next_cutoff(r))
        cons = r.conservation
        out.print("confirmed " + _yen(cons["confirmed"]) + " yen = " + ", ".join(
            f"{k} {_yen(cons[k])}" for k in ("settled", "in_run", "waiting", "carried", "held", "refunded")))
        if r.payout_dates:
            for d in r.payout_dates:
                out.print(f"payout file: {payout_file_path(settings.out_dir, d)}")
        if not r.check_ok:
            for f in r.failures:
                out.print(f"[bold red]check failed:[/] {f}", highlight=False)
            out.print("[bold red]nothing was finalized[/]")
            raise typer.Exit(1)

    @app.command("clawback")
    def clawback_cmd(
        payment_id: str = typer.Argument(..., help="A payment in a finalized settlement."),
        note: str = typer.Option(..., help="Why the money is taken back."),
        as_of: str = typer.Option(None, help="Time of the decision (JST); default now."),
        by: str = typer.Option(None, help="Who decides (default: the login name)."),
    ) -> None:
        """Take back a settled payment: a negative adjustment in the merchant's next settlement."""
        from tasks.settle.adjust import record_clawback
        from tasks.warehouse import open_warehouse

        with open_warehouse().write() as con:
            adj = record_clawback(con, payment_id, _as_of(as_of), by or getpass.getuser(), note)
        out.print(f"claw-back {adj} recorded for payment {payment_id}; it goes into the next settlement")
