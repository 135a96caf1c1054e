import duckdb
import pytest

from tasks.warehouse import Warehouse, migrations


def test_migrations_are_numbered_and_recorded(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.read() as con:
        versions = [v for (v,) in con.execute("select version from schema_migrations order by 1").fetchall()]
    assert versions == [v for v, _, _ in migrations()]
    assert versions[:2] == [1, 2]


def test_a_failed_unit_of_work_leaves_nothing(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with pytest.raises(RuntimeError):
        with wh.write() as con:
            con.execute("insert into master_loads values (1, localtimestamp, 'x', 'y')")
            raise RuntimeError("crash in the middle")
    with wh.read() as con:
        assert con.execute("select count(*) from master_loads").fetchone() == (0,)


def test_publish_gives_analysts_a_readable_copy(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.write() as con:
        con.execute("insert into master_loads values (1, localtimestamp, 'x', 'y')")
    copy = wh.publish()
    with wh.session():  # the writer holds its lock and connection; the copy still reads
        ro = duckdb.connect(str(copy), read_only=True)
        assert ro.execute("select count(*) from master_loads").fetchone() == (1,)
        ro.close()
