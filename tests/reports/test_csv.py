from datetime import date

import pytest

from tasks.errors import KonbiniError
from tasks.render.csvout import Column, csv_bytes, escape_cell

NAME = Column("name", "名称")
AMOUNT = Column("amount", "金額")


@pytest.mark.parametrize("cell", ["=1+2", "+81", "-5", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"x\")"])
def test_formula_starts_are_escaped(cell):
    assert escape_cell(cell) == "'" + cell


def test_numbers_stay_numbers_and_text_stays_text():
    assert escape_cell(-200) == "-200"
    assert escape_cell(0) == "0"
    assert escape_cell("-200") == "'-200"  # text that looks like a number is still text
    assert escape_cell("A-1001") == "A-1001"
    assert escape_cell(None) == ""
    assert escape_cell(date(2026, 11, 4)) == "2026-11-04"


def test_utf8_with_bom_and_crlf():
    data = csv_bytes((NAME, AMOUNT), [("株式会社サンプル商店", -200), ("a,b", 5)])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == '名称,金額\r\n株式会社サンプル商店,-200\r\n"a,b",5\r\n'


def test_cp932_on_request():
    data = csv_bytes((NAME,), [("学校法人みほん学園",)], "cp932")
    assert data == "名称\r\n学校法人みほん学園\r\n".encode("cp932")


def test_cp932_refuses_what_it_cannot_write_with_a_clear_error():
    with pytest.raises(KonbiniError, match="line 2.*cp932"):
        csv_bytes((NAME,), [("𠮷野家",)], "cp932", where="collection/M000001/2026-11-04")
    with pytest.raises(KonbiniError, match="unknown CSV encoding"):
        csv_bytes((NAME,), [], "latin-1")
    with pytest.raises(KonbiniError, match="unknown CSV header language 'fr'"):
        csv_bytes((NAME,), [], header="fr")


def test_english_headers_on_request_and_codes_that_survive_excel():
    kind = Column("kind", "種別コード", code=True)
    rows = [("02", "02", 2), ("A-1", "=1", -5), ("０２", "x", 0)]
    data = csv_bytes((kind, NAME, AMOUNT), rows, header="en")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "kind,name,amount"
    # a code column's digits become the formula ="02", which Excel shows as the text 02; other text and
    # non-digit codes are escaped as usual (a code cannot smuggle a formula in)
    assert lines[1] == '"=""02""",02,2'
    assert lines[2] == "A-1,'=1,-5"
    assert lines[3] == "０２,x,0"


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text())
def test_no_text_cell_can_start_a_formula(text):
    cell = escape_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell.removeprefix("'") == text or cell == text


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_integers_are_written_as_plain_numbers(n):
    assert int(escape_cell(n)) == n
