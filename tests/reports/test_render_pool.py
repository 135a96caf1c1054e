"""One render pool for many renderings, pipelined (tasks/render/pool.py): the demo's replay renders
each morning's reports while the next morning's flows run."""

from __future__ import annotations

from datetime import datetime

import pytest

from tasks.clock import JST
from tasks.errors import KonbiniError
from tasks.render import pool, run
from tasks.render.jobs import render_job

AS_OF = datetime(2026, 11, 10, 7, 0, tzinfo=JST)


def _recorded(wh) -> list[str]:
    with wh.read() as con:
        return [r[0] for r in con.execute("select report_id from report_outputs order by 1").fetchall()]


def test_pipelined_pool_gives_the_same_files_recorded_before_the_next_plan(ops_world, settings, tmp_path):
    with ops_world.read() as con:
        jobs = run.plan(con, AS_OF, settings)
    assert len(jobs) == 8
    with pool.shared(workers=2, pipelined=True) as shared:
        result = run.render_due(ops_world, settings, AS_OF)
        assert (result.rendered, result.pending) == ([], 8)
        assert _recorded(ops_world) == []  # rendering in the workers, not recorded yet
        again = run.render_due(ops_world, settings, AS_OF)  # records the pending ones, then plans
        assert (again.rendered, again.pending) == ([], 0)  # nothing due twice
        assert _recorded(ops_world) == sorted(j.report_id for j in jobs)
        assert shared.pending == []
    root = run.out_root(settings)
    for job in jobs:  # byte for byte what rendering then and there in this process gives
        serial = render_job(job, tmp_path / "serial")
        for suffix, path in (("pdf", serial.pdf_path), ("csv", serial.csv_path)):
            assert (root / f"{job.stem}.{suffix}").read_bytes() == path.read_bytes(), job.report_id


def test_leaving_the_pool_records_what_is_pending_and_raises_a_failed_report(ops_world, settings):
    with ops_world.read() as con:
        jobs = run.plan(con, AS_OF, settings)
    broken = [*jobs[:-1], jobs[-1].__class__(**{**jobs[-1].__dict__, "template": "no-such.html"})]
    with pytest.raises(KonbiniError, match="1 of 8 reports failed to render: operations/"):
        with pool.shared(workers=1, pipelined=True):
            assert run.render_due(ops_world, settings, AS_OF, jobs=broken).pending == 8
    assert _recorded(ops_world) == sorted(j.report_id for j in jobs[:-1])  # the others are recorded
    assert pool.current() is None
