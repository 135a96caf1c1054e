"""Japanese labels shown in reports."""

CHAINS = {
    "seven": "セブン-イレブン",
    "lawson": "ローソン",
    "famima": "ファミリーマート",
    "ministop": "ミニストップ",
    "daily": "デイリーヤマザキ",
    "seicomart": "セイコーマート",
}
CHAIN_ORDER = tuple(CHAINS)
KINDS = {"01": "速報", "02": "確報", "03": "速報取消"}
ACCOUNT_TYPES = {"1": "普通", "2": "当座"}
WEEKDAYS = "月火水木金土日"


def chain_name(code: str) -> str:
    return CHAINS.get(code, code)


def mask_account(number: str, keep: int = 3) -> str:
    """All but the last `keep` digits masked: 1234567 -> ****567."""
    return "*" * max(len(number) - keep, 0) + number[-keep:]


def jdate(d) -> str:
    """2026-11-16 -> 2026年11月16日(月)."""
    return f"{d.year}年{d.month}月{d.day}日({WEEKDAYS[d.weekday()]})"
