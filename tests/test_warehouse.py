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


def test_analysts_copy_holds_no_personal_data_nor_secrets(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.write() as con:
        con.execute("insert into order_customers values ('M000001', 'A-1', 'ヤマダ', '0312345678', 'a@b.jp')")
        con.execute(
            "insert into merchants values (1, 'M000001', 'x', 'ｶ)ｻﾝﾌﾟﾙ', 'active', '2026-01-01', 1, 'P1',"
            " '0005', '001', '1', '1234567', 'https://m.example/h',"
            " 'k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s', 'e@x')"
        )
        con.execute("insert into master_loads values (1, localtimestamp, 'x', 'y')")
    copy = wh.publish()
    ro = duckdb.connect(str(copy), read_only=True)
    assert ro.execute("select count(*) from order_customers").fetchone() == (0,)
    merchants = ro.execute("select notify_secret, name_kana from current_merchants").fetchall()
    assert merchants == [(None, "ｶ)ｻﾝﾌﾟﾙ")]
    ro.close()
    assert b"0312345678" not in copy.read_bytes()
    assert b"k3J9xQ2mV8pL5tR1wZ7yB4nC6dF0gH2s" not in copy.read_bytes()
