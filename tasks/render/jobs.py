"""A report to render (plain data), rendering it to PDF + CSV, and rendering many on both cores.

Gathering (reading the warehouse) happens in the calling process; a `ReportJob` carries only plain
data, so it can be rendered in another process. WeasyPrint is CPU bound and not thread-parallel,
hence a process pool (spawned, not forked: the parent holds DuckDB and Prefect threads). A script
that calls `render_many(workers > 1)` must guard its entry point with `if __name__ == "__main__":`
(spawned workers import the main module); the CLI, Prefect and pytest already do.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tasks.clock import naive_jst
from tasks.errors import KonbiniError
from tasks.render import pool
from tasks.render.csvout import Cell, Column, csv_bytes

OPERATIONS = "_operations"  # the folder of reports that belong to no merchant
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class ReportJob:
    kind: str  # collection, statement, schedule, operations
    merchant_id: str | None  # None for the operations summary
    subject: str  # the day, settlement id or month the report is about
    template: str
    context: dict
    csv_columns: tuple[Column, ...]
    csv_rows: tuple[tuple[Cell, ...], ...]
    as_of: datetime
    title: str = ""
    markdown: str | None = None  # operations summary: also published as a Prefect artifact
    extra: dict = field(default_factory=dict)

    @property
    def report_id(self) -> str:
        return f"{self.kind}/{self.merchant_id or OPERATIONS}/{self.subject}"

    @property
    def stem(self) -> str:
        """Relative path without suffix under data/out/reports/."""
        folder = self.merchant_id or OPERATIONS
        return f"{_SAFE.sub('_', folder)}/{self.kind}_{_SAFE.sub('_', self.subject)}"


@dataclass(frozen=True)
class Rendered:
    report_id: str
    kind: str
    merchant_id: str | None
    subject: str
    as_of: datetime
    pdf_path: Path
    csv_path: Path
    pdf_sha256: str
    csv_sha256: str


def render_job(job: ReportJob, out_root: Path, csv_encoding: str = "utf-8",
               csv_header: str = "ja") -> Rendered:
    """Render one report and write its PDF and CSV side by side (atomically, by rename).
    `csv_header`: the CSV's column names in Japanese (`ja`, the default) or English (`en`)."""
    from tasks.render.pdf import render_pdf  # WeasyPrint (0.5 s of imports): only where reports render

    pdf = render_pdf(job.template, job.context, as_of=job.as_of, report_id=job.report_id)
    data = csv_bytes(job.csv_columns, job.csv_rows, csv_encoding, header=csv_header, where=job.report_id)
    pdf_path = out_root / f"{job.stem}.pdf"
    csv_path = out_root / f"{job.stem}.csv"
    for path, content in ((pdf_path, pdf), (csv_path, data)):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, path)
    return Rendered(
        report_id=job.report_id,
        kind=job.kind,
        merchant_id=job.merchant_id,
        subject=job.subject,
        as_of=job.as_of,
        pdf_path=pdf_path,
        csv_path=csv_path,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        csv_sha256=hashlib.sha256(data).hexdigest(),
    )


def render_many(jobs: Sequence[ReportJob], out_root: Path, *, workers: int = 2,
                csv_encoding: str = "utf-8", csv_header: str = "ja") -> list[Rendered]:
    """Render every job; with workers > 1 in a pool of spawned processes. Results in job order;
    the first failure is raised (after the others are done)."""
    done, failed = render_all(jobs, out_root, workers=workers, csv_encoding=csv_encoding,
                              csv_header=csv_header)
    if failed:
        raise KonbiniError(f"{failed[0][0]}: {failed[0][1]}")
    return done


Failure = tuple[str, str]  # (report id, error)


def render_all(jobs: Sequence[ReportJob], out_root: Path, *, workers: int = 2, csv_encoding: str = "utf-8",
               csv_header: str = "ja") -> tuple[list[Rendered], list[Failure]]:
    """Like render_many, but one report failing does not stop the others: returns what was rendered
    and (report id, error) of each failure. Inside `pool.shared()` its pool renders, whatever `workers`."""
    shared = pool.current()
    if shared is None and (workers <= 1 or len(jobs) <= 1):
        return collect(jobs, [_now(render_job, j, out_root, csv_encoding, csv_header) for j in jobs])
    if shared is not None:
        return collect(jobs, submit(shared.executor, jobs, out_root, csv_encoding, csv_header))
    with pool.start(workers) as executor:
        return collect(jobs, submit(executor, jobs, out_root, csv_encoding, csv_header))


def submit(executor: Executor, jobs: Sequence[ReportJob], out_root: Path, csv_encoding: str,
           csv_header: str) -> list[Future]:
    return [executor.submit(render_job, j, out_root, csv_encoding, csv_header) for j in jobs]


def _now(fn, *args) -> Future:
    """`fn(*args)` run here, as a completed future (its result or its exception)."""
    done: Future = Future()
    try:
        done.set_result(fn(*args))
    except Exception as e:  # noqa: BLE001 - kept in the future, reported by collect()
        done.set_exception(e)
    return done


def collect(jobs: Sequence[ReportJob], futures: list[Future]) -> tuple[list[Rendered], list[Failure]]:
    """Each job's outcome, in job order (waiting for each): what was rendered, and the failures."""
    done: list[Rendered] = []
    failed: list[Failure] = []
    for job, future in zip(jobs, futures, strict=True):
        try:
            done.append(future.result())
        except Exception as e:  # noqa: BLE001 - reported by the caller, with the report it concerns
            failed.append((job.report_id, f"{type(e).__name__}: {e}"))
    return done, failed


def record_outputs(con, rendered: Sequence[Rendered], out_root: Path, rendered_at: datetime) -> None:
    """Remember what was rendered (report_outputs), paths relative to out_root."""
    for r in rendered:
        con.execute(
            "insert or replace into report_outputs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.report_id, r.kind, r.merchant_id, r.subject, naive_jst(r.as_of),
             str(r.pdf_path.relative_to(out_root)), str(r.csv_path.relative_to(out_root)),
             r.pdf_sha256, r.csv_sha256, naive_jst(rendered_at)],
        )
