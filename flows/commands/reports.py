"""`konbini reports …`: render what is due, render one report on demand, list, resend, check.

Area modules are imported inside each command, not at the top: every command module is imported
for `konbini --help`, which must not pay for DuckDB, WeasyPrint or Prefect (docs/benchmarks.md, CLI).
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console

from flows.commands.options import as_of_option as _as_of
from flows.commands.options import date_option, month_option
from tasks import clock
from tasks.errors import KonbiniError

out = Console()


def _encoding(text: str) -> str:
    if text not in ("utf-8", "cp932"):
        raise KonbiniError(f"--csv-encoding {text!r}: use utf-8 (with BOM) or cp932")
    return text


def _header(text: str) -> str:
    if text not in ("ja", "en"):
        raise KonbiniError(f"--csv-header {text!r}: use ja (Japanese column names) or en (English)")
    return text


_CSV_HEADER_HELP = "CSV column names: ja (Japanese) or en (English)."


def _render_one(build, csv_encoding: str, csv_header: str = "ja") -> None:
    """Check the arguments and gather with `build(con, settings)`, render, record; print where the
    files are."""
    from tasks.render.run import render_due
    from tasks.settings import get_settings
    from tasks.warehouse import open_warehouse

    settings = get_settings()
    wh = open_warehouse(settings)
    with wh.read() as con:
        job = build(con, settings)
    result = render_due(wh, settings, job.as_of, workers=1, csv_encoding=csv_encoding, csv_header=csv_header,
                        jobs=[job])
    for r in result.rendered:
        out.print(f"{r.report_id}\n  {r.pdf_path}\n  {r.csv_path}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Merchant reports and the operations summary (PDF + CSV), and their e-mail.",
                        no_args_is_help=True)
    app.add_typer(group, name="reports")

    @group.command("render")
    def render_cmd(
        as_of: str = typer.Option(None, "--as-of", help="Render what is due at this JST time (default now)."),
        workers: int = typer.Option(2, min=1, help="Processes rendering PDFs."),
        csv_encoding: str = typer.Option("utf-8", help="utf-8 (with BOM) or cp932."),
        csv_header: str = typer.Option("ja", help=_CSV_HEADER_HELP),
    ) -> None:
        """Render every report due (and mail merchants theirs when SMTP is configured): a flow run."""
        when, encoding, header = _as_of(as_of), _encoding(csv_encoding), _header(csv_header)  # before Prefect
        from flows.reports import render_reports

        summary = render_reports(as_of=when, workers=workers, csv_encoding=encoding, csv_header=header)
        out.print(f"rendered {summary['rendered']}, mailed {summary['accepted']}, "
                  f"mail failures {summary['failed']}")
        for rid in summary["reports"]:
            out.print(f"  {rid}")

    @group.command("collection")
    def collection_cmd(
        merchant: str = typer.Option(..., help="Merchant id (M + 6 digits)."),
        day: str = typer.Option(..., help="The day the events were received (YYYY-MM-DD)."),
        csv_encoding: str = typer.Option("utf-8", help="utf-8 (with BOM) or cp932."),
        csv_header: str = typer.Option("ja", help=_CSV_HEADER_HELP),
    ) -> None:
        """Render one merchant's collection report (収納結果) of one day."""
        from tasks.lookups import require_merchant
        from tasks.render import collection

        d, encoding, header = date_option(day, "--day"), _encoding(csv_encoding), _header(csv_header)

        def build(con, settings):
            m = require_merchant(con, merchant, "--merchant")
            return collection.gather(con, m, d, settings, collection.as_of_for(d))

        _render_one(build, encoding, header)

    @group.command("statement")
    def statement_cmd(
        settlement: str = typer.Option(..., help="Settlement id, e.g. M000003-20261101."),
        as_of: str = typer.Option(None, "--as-of", help="For a draft: the as-of printed (default now)."),
        csv_encoding: str = typer.Option("utf-8", help="utf-8 (with BOM) or cp932."),
        csv_header: str = typer.Option("ja", help=_CSV_HEADER_HELP),
    ) -> None:
        """Render one settlement statement (入金明細書 兼 適格請求書); drafts are marked 下書き."""
        from tasks.render import statement

        draft_as_of, encoding, header = _as_of(as_of), _encoding(csv_encoding), _header(csv_header)

        def build(con, settings):
            at = statement.as_of_for(con, settlement, draft_as_of)
            return statement.gather(con, settlement, settings, at)

        _render_one(build, encoding, header)

    @group.command("schedule")
    def schedule_cmd(
        merchant: str = typer.Option(..., help="Merchant id (M + 6 digits)."),
        month: str = typer.Option(..., help="The month of the periods (YYYY-MM)."),
        csv_encoding: str = typer.Option("utf-8", help="utf-8 (with BOM) or cp932."),
        csv_header: str = typer.Option("ja", help=_CSV_HEADER_HELP),
    ) -> None:
        """Render one merchant's settlement schedule (入金スケジュール表) for a month."""
        from tasks.lookups import require_merchant
        from tasks.render import schedule

        first, encoding, header = month_option(month), _encoding(csv_encoding), _header(csv_header)

        def build(con, settings):
            m = require_merchant(con, merchant, "--merchant")
            return schedule.gather(con, m, first, settings, schedule.as_of_for(first))

        _render_one(build, encoding, header)

    @group.command("list")
    def list_cmd(merchant: str = typer.Option(None, help="Only this merchant.")) -> None:
        """Rendered reports with their e-mail delivery state."""
        from tasks.lookups import require_merchant
        from tasks.render.listing import rendered_reports
        from tasks.render.run import out_root
        from tasks.settings import get_settings
        from tasks.warehouse import open_warehouse

        settings = get_settings()
        with open_warehouse(settings).read() as con:
            if merchant is not None:
                require_merchant(con, merchant, "--merchant")
            reports = rendered_reports(con, merchant)
        # plain lines (not a table): report ids stay whole and greppable in any terminal width
        out.print(f"{len(reports)} reports (files under {out_root(settings)})", highlight=False,
                  soft_wrap=True)
        for r in reports:
            out.print(f"{r.report_id}  as of {r.as_of:%Y-%m-%d %H:%M}  {r.deliveries or 'not mailed'}",
                      highlight=False, soft_wrap=True)

    @group.command("resend")
    def resend_cmd(
        report_id: str = typer.Argument(..., help="e.g. statement/M000003/M000003-20261101"),
        to: str = typer.Option(None, help="Another address (default: the merchant's current e-mail)."),
    ) -> None:
        """Send a report again (a new delivery round), e.g. after an `unknown` delivery was checked."""
        from tasks.render.mail import deliver, open_resend
        from tasks.render.run import out_root
        from tasks.settings import get_settings
        from tasks.warehouse import open_warehouse

        settings = get_settings()
        if not settings.smtp.host:
            raise KonbiniError("no SMTP host configured (KONBINI_SMTP__HOST): cannot send e-mail")
        wh = open_warehouse(settings)
        d = open_resend(wh, out_root(settings), report_id, requested_by=getpass.getuser(), recipient=to)
        if not d.pdf_path.exists():
            raise KonbiniError(f"{d.pdf_path} is missing: render the report again first")
        o = deliver(wh, d, settings, clock.now())
        if o.state != "accepted":
            raise KonbiniError(
                f"{report_id} to {d.recipient}: not accepted after {o.attempts} tries: {o.error}")
        out.print(f"{report_id} sent to {d.recipient} (round {d.round})")

    @group.command("check")
    def check_cmd(path: str = typer.Argument(..., help="A rendered PDF.")) -> None:
        """Check a PDF's fonts: IPAexGothic embedded, nothing else."""
        from tasks.render.pdf import font_problems

        pdf = Path(path)
        if not pdf.is_file():
            raise KonbiniError(f"{pdf} is not a file")
        problems = font_problems(pdf)
        if problems:
            raise KonbiniError(f"{pdf}: " + "; ".join(problems))
        out.print(f"{pdf}: fonts OK")
