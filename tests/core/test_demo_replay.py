"""What the demo's replay shares instead of each flow run setting it up (flows/demo.py, `replaying`):
the analysts' copy published once at the end (`tasks.publishing.deferred`)."""

from __future__ import annotations

import duckdb
import pytest

from tasks import publishing
from tasks.warehouse import Warehouse


def _loads(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from master_loads").fetchone()[0]
    finally:
        con.close()


def _load(wh: Warehouse, load_id: int) -> None:
    with wh.write() as con:
        con.execute("insert into master_loads values (?, localtimestamp, 'x', 'y')", [load_id])


def test_publishing_deferred_publishes_once_on_leaving(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    _load(wh, 1)
    copy = wh.publish()
    with publishing.deferred(wh):
        _load(wh, 2)
        assert Warehouse(wh.path).publish() == copy  # another instance of the same warehouse: deferred too
        _load(wh, 3)
        wh.publish()
        assert _loads(copy) == 1  # not refreshed inside
    assert _loads(copy) == 3  # once, with everything written inside
    _load(wh, 4)
    wh.publish()  # outside: published then and there again
    assert _loads(copy) == 4


def test_publishing_deferred_leaves_the_copy_alone_without_a_publish_or_after_an_error(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    _load(wh, 1)
    copy = wh.publish()
    with publishing.deferred(wh):
        _load(wh, 2)  # no publish asked for
    assert _loads(copy) == 1
    with pytest.raises(RuntimeError), publishing.deferred(wh):
        wh.publish()
        raise RuntimeError("a flow failed")
    assert _loads(copy) == 1
    wh.publish()
    assert _loads(copy) == 2
