"""The Zengin character set, checked against the golden payout files of an independent implementation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.kana import ALLOWED, is_zengin, to_zengin, zengin_problem

from ..conftest import VECTORS  # noqa: TID252


def _data_records(name: str) -> list[str]:
    text = (VECTORS / "zengin" / name).read_bytes().decode("cp932")
    return [r for r in text.split("\r\n") if r.startswith("2")]


# (input as the README gives it, field) -> the record's field, per data record of multi-transaction.txt
GOLDEN = [
    # bank name 6-20, branch name 24-38, holder 51-80 (1-based, half-width = 1 char per byte)
    (0, "トウキョウトミン", slice(5, 20)),
    (0, "シブヤ", slice(23, 38)),
    (0, "テストー.カブシキガイシャ", slice(50, 80)),
    (1, "ミツビシトウキョウUFJ", slice(5, 20)),
    (1, "ギンザドオリ", slice(23, 38)),
    (1, "カ)ゼンギン", slice(50, 80)),
]


@pytest.mark.parametrize(("record", "given", "where"), GOLDEN)
def test_golden_names(record, given, where):
    expected = _data_records("multi-transaction.txt")[record][where].rstrip(" ")
    assert to_zengin(given) == expected
    assert is_zengin(expected)


def test_golden_literals():
    assert to_zengin("テストー.カブシキガイシャ") == "ﾃｽﾄｰ.ｶﾌﾞｼｷｶﾞｲｼﾔ"
    assert to_zengin("カ)ゼンギン") == "ｶ)ｾﾞﾝｷﾞﾝ"
    assert to_zengin("ミツビシトウキョウUFJ") == "ﾐﾂﾋﾞｼﾄｳｷﾖｳUFJ"
    assert to_zengin("トウキョウトミン") == "ﾄｳｷﾖｳﾄﾐﾝ"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ミツビシユ－エフジエイ", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"),  # U+FF0D as in the zengin-code data
        ("ァィゥェォャュョッ", "ｱｲｳｴｵﾔﾕﾖﾂ"),
        ("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ"),
        ("ヵヶヮ", "ｶｹﾜ"),
        ("パーク", "ﾊﾟｰｸ"),
        ("ｍｉｈｏｎ　１２３", "MIHON 123"),
        ("abc xyz", "ABC XYZ"),
        ("（カ）．／", "(ｶ)./"),
        ("やまだ", "ﾔﾏﾀﾞ"),  # hiragana is read as katakana
        ("ｶﾞｸ)ﾐﾎﾝ", "ｶﾞｸ)ﾐﾎﾝ"),  # already half-width: unchanged
        ("ヲ", "ｦ"),
        ("", ""),
    ],
)
def test_conversions(given, expected):
    assert to_zengin(given) == expected
    assert is_zengin(to_zengin(given))


@pytest.mark.parametrize(
    ("given", "char", "pos"),
    [("株式会社", "株", 1), ("ｶ)ﾃｽﾄ、", "、", 6), ("AB@C", "@", 3), ("ﾃｽﾄ・ｼｮｯﾌﾟ", "・", 4), ("ｶ,ﾃ", ",", 2)],
)
def test_rejects_what_zengin_cannot_hold(given, char, pos):
    with pytest.raises(ValueError) as e:
        to_zengin(given)
    assert f"{char!r}" in str(e.value) and f"position {pos}" in str(e.value)
    assert zengin_problem(given) == str(e.value)


def test_is_zengin_needs_half_width():
    assert is_zengin("ﾃｽﾄ(ｶ")
    assert not is_zengin("テスト")
    assert not is_zengin("ﾁｮｯ")  # small kana are not allowed as such
    assert not is_zengin("abc")
    assert zengin_problem("ﾃｽﾄ") is None

_FULL_WIDTH = "アイウエオカガキギャュョッヴー　ＡＢＣａｂｃ０１２（）－．／"


@given(st.text(alphabet=sorted(ALLOWED), max_size=40))
def test_zengin_text_is_left_as_it_is(text):
    assert is_zengin(text)
    assert to_zengin(text) == text


@given(st.text(max_size=20))
def test_any_text_converts_into_the_set_or_is_refused(text):
    try:
        out = to_zengin(text)
    except ValueError as e:
        assert "position" in str(e)
    else:
        assert is_zengin(out)
        assert to_zengin(out) == out  # idempotent


@given(st.text(alphabet=_FULL_WIDTH, max_size=30))
def test_full_width_kana_always_converts(text):
    assert is_zengin(to_zengin(text))
