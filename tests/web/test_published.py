"""What the web reads: personal data only in portal_private.duckdb (never in the analysts' copy),
rewritten only when orders were added; a reader follows each publish."""

from __future__ import annotations

import duckdb

from tasks.portal.published import Reader, private_path
from tasks.warehouse import Warehouse


def _count(path, sql: str) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_personal_data_is_published_apart_and_only_when_orders_change(world):
    analytics, private = world.analytics_path, private_path(world.warehouse_path)
    assert _count(analytics, "select count(*) from order_customers") == 0
    assert _count(private, "select count(*) from order_customers") == 11  # the samples' orders
    Warehouse(world.warehouse_path).publish()  # the world is a copy: another warehouse file, rewritten
    before = private.stat()
    Warehouse(world.warehouse_path).publish()  # nothing added: the file stays as it was
    assert (private.stat().st_ino, private.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    with Warehouse(world.warehouse_path).write() as con:
        con.execute("insert into order_customers values ('M000001', 'NEW-1', 'ｼﾝｷ', '0300000000', null)")
    Warehouse(world.warehouse_path).publish()
    assert _count(private, "select count(*) from order_customers") == 12
    assert _count(analytics, "select count(*) from order_customers") == 0


def test_a_reader_sees_each_publish(world):
    reader = Reader(world)
    cur = reader.cursor()
    (open_before,) = cur.execute("select count(*) from v_open_exceptions").fetchone()
    with Warehouse(world.warehouse_path).write() as con:
        con.execute("update exceptions set state = 'cleared' where state = 'open'")
    assert reader.cursor().execute("select count(*) from v_open_exceptions").fetchone()[0] == open_before
    Warehouse(world.warehouse_path).publish()
    assert reader.cursor().execute("select count(*) from v_open_exceptions").fetchone()[0] == 0
    assert cur.execute("select count(*) from v_open_exceptions").fetchone()[0] == open_before  # in flight
