"""`konbini reports …`: render what is due, render one report on demand, list, resend, check.

Area modules are imported inside each command, not at the top: every command module is imported
for `konbini --help`, which must not pay for DuckDB, WeasyPrint or Prefect (docs/benchmarks.md, CLI).
"""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from flows.commands.options import MerchantId, date_option, group, month_option
from flows.commands.options import as_of_option as _as_of
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


CsvEncoding = Annotated[str, typer.Option(help="utf-8 (with BOM) or cp932.")]
CsvHeader = Annotated[str, typer.Option(help="CSV column names: ja (Japanese) or en (English).")]
Day = Annotated[str, typer.Option(help="The day the events were received (YYYY-MM-DD).")]
Month = Annotated[str, typer.Option(help="The month of the periods (YYYY-MM).")]


def _render_one(build, csv_encoding: str, csv_header: str) -> None:
    """Check the CSV options, gather with `build(con, settings)` (which checks the rest), render,
    record; print where the files are."""
    csv_encoding, csv_header = _encoding(csv_encoding), _header(csv_header)
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


def _render_merchant(report, merchant: str, period: date, csv_encoding: str, csv_header: str) -> None:
    """Render one merchant's `report` (tasks.render.collection or .schedule) of `period`."""
    from tasks.lookups import require_merchant

    def build(con, settings):
        m = require_merchant(con, merchant, "--merchant")
        return report.gather(con, m, period, settings, report.as_of_for(period))

    _render_one(build, csv_encoding, csv_header)


def register(app: typer.Typer) -> None:
    reports = group(app, "reports",
                    "Merchant reports and the operations summary (PDF + CSV), and their e-mail.")

    @reports.command("render")
    def render_cmd(
        as_of: str = typer.Option(None, "--as-of", help="Render what is due at this JST time (default now)."),
        workers: int = typer.Option(2, min=1, help="Processes rendering PDFs."),
        csv_encoding: CsvEncoding = "utf-8",
        csv_header: CsvHeader = "ja",
    ) -> None:
        """Render every report due (and mail merchants theirs when SMTP is configured): a flow run."""
        when, encoding, header = _as_of(as_of), _encoding(csv_encoding), _header(csv_header)  # before Prefect
        from flows.reports import render_reports

        summary = render_reports(as_of=when, workers=workers, csv_encoding=encoding, csv_header=header)
        out.print(f"rendered {summary['rendered']}, mailed {summary['accepted']}, "
                  f"mail failures {summary['failed']}")
        for rid in summary["reports"]:
            out.print(f"  {rid}")

    @reports.command("collection")
    def collection_cmd(merchant: MerchantId, day: Day, csv_encoding: CsvEncoding = "utf-8",
                       csv_header: CsvHeader = "ja") -> None:
        """Render one merchant's collection report (収納結果) of one day."""
        from tasks.render import collection

        _render_merchant(collection, merchant, date_option(day, "--day"), csv_encoding, csv_header)

    @reports.command("statement")
    def statement_cmd(
        settlement: str = typer.Option(..., help="Settlement id, e.g. M000003-20261101."),
        as_of: str = typer.Option(None, "--as-of", help="For a draft: the as-of printed (default now)."),
        csv_encoding: CsvEncoding = "utf-8",
        csv_header: CsvHeader = "ja",
    ) -> None:
        """Render one settlement statement (入金明細書 兼 適格請求書); drafts are marked 下書き."""
        from tasks.render import statement

        draft_as_of = _as_of(as_of)

        def build(con, settings):
            at = statement.as_of_for(con, settlement, draft_as_of)
            return statement.gather(con, settlement, settings, at)

        _render_one(build, csv_encoding, csv_header)

    @reports.command("schedule")
    def schedule_cmd(merchant: MerchantId, month: Month, csv_encoding: CsvEncoding = "utf-8",
                     csv_header: CsvHeader = "ja") -> None:
        """Render one merchant's settlement schedule (入金スケジュール表) for a month."""
        from tasks.render import schedule

        _render_merchant(schedule, merchant, month_option(month), csv_encoding, csv_header)

    @reports.command("list")
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

    @reports.command("resend")
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

    @reports.command("check")
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
