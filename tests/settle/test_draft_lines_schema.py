"""settlement_draft_lines (migration 0003) is the run, then exactly the columns of settlement_lines:
v_settlement_lines unions the two, and the migration's text says so instead of listing them twice."""

from __future__ import annotations


def _columns(con, table: str) -> list[tuple]:
    return con.execute(
        "select column_name, data_type, is_nullable from duckdb_columns()"
        " where table_name = ? order by column_index", [table]
    ).fetchall()


def test_draft_lines_are_the_run_then_the_columns_of_settlement_lines(warehouse):
    with warehouse.read() as con:
        draft, final = _columns(con, "settlement_draft_lines"), _columns(con, "settlement_lines")
    assert draft[0] == ("run_id", "INTEGER", False)
    assert draft[1:] == final
