"""The Zengin (全銀) character set: what a bank-transfer file can hold.

rules.md allows only digits, A-Z, half-width katakana (with ﾞ ﾟ ｰ), the space and `( ) - . /`.
`to_zengin` turns what people and the zengin-code data set write into that set: full-width
katakana, latin letters, digits, space and symbols become half-width (jaconv), small kana become
full size (ｬ → ﾔ: banks register names without small kana), lower-case latin becomes upper-case,
and hiragana is read as katakana (the same sounds; a holder name typed in hiragana is still the
same name). Anything else (kanji, other symbols) cannot be represented and raises ValueError
naming the character and its 1-based position in the input.
"""

from __future__ import annotations

import jaconv

# Half-width characters the Zengin format accepts (after conversion).
_KATAKANA = {chr(c) for c in range(0xFF71, 0xFF9E)} | {"ｦ", "ﾞ", "ﾟ", "ｰ"}
ALLOWED = frozenset(
    set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ()-./") | _KATAKANA
)

# Small kana have no place in Zengin names: full size. ヵヶヮ have no half-width form at all.
_SMALL_TO_FULL = str.maketrans(
    {
        "ｧ": "ｱ", "ｨ": "ｲ", "ｩ": "ｳ", "ｪ": "ｴ", "ｫ": "ｵ",
        "ｬ": "ﾔ", "ｭ": "ﾕ", "ｮ": "ﾖ", "ｯ": "ﾂ",
        "ァ": "ア", "ィ": "イ", "ゥ": "ウ", "ェ": "エ", "ォ": "オ",
        "ャ": "ヤ", "ュ": "ユ", "ョ": "ヨ", "ッ": "ツ",
        "ヵ": "カ", "ヶ": "ケ", "ヮ": "ワ",
    }
)
# Dashes: the long-vowel mark ー is ｰ (jaconv does it); U+FF0D full-width hyphen-minus (used by
# the zengin-code data, e.g. ミツビシユ－エフジエイ) and the minus sign U+2212 are `-`.
_DASHES = str.maketrans({"－": "-", "−": "-"})


def _convert(text: str) -> str:
    """Convert one character (or more); a voiced kana becomes two (ガ → ｶﾞ)."""
    text = jaconv.hira2kata(text)
    text = text.translate(_SMALL_TO_FULL).translate(_DASHES)
    text = jaconv.z2h(text, kana=True, ascii=True, digit=True)
    return text.translate(_SMALL_TO_FULL).upper()


def to_zengin(text: str) -> str:
    """`text` in the Zengin character set, or ValueError naming the first character it cannot hold.

    >>> to_zengin("カ)ゼンギン")
    'ｶ)ｾﾞﾝｷﾞﾝ'
    """
    out = []
    for pos, ch in enumerate(text, start=1):
        converted = _convert(ch)
        if not converted or any(c not in ALLOWED for c in converted):
            raise ValueError(
                f"character {ch!r} (U+{ord(ch):04X}) at position {pos} is not in the Zengin character set"
            )
        out.append(converted)
    return "".join(out)


def is_zengin(text: str) -> bool:
    """True when `text` is already entirely in the Zengin character set (no conversion needed)."""
    return all(c in ALLOWED for c in text)


def zengin_problem(text: str) -> str | None:
    """Why `text` cannot be converted (the ValueError's message), or None when it can."""
    try:
        to_zengin(text)
    except ValueError as e:
        return str(e)
    return None
