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


def bank_and_branch(bank_code: str, branch_code: str) -> tuple[str, str]:
    """Names of a bank and its branch from the Zengin data set (`zengin-code`), e.g. ("みずほ",
    "東京営業部"); an empty name where a code is not in it."""
    from zengin_code import Bank  # importing loads the whole data set (about 1 s): only when needed

    bank = Bank.all.get(bank_code)
    branch = bank.branches.get(branch_code) if bank else None
    return (bank.name if bank else "", branch.name if branch else "")


def deduction(value: int) -> str:
    """An amount taken off, as printed: 13,360 -> −13,360; 0 stays 0 (never −0); taking off a
    negative amount adds it: -50 -> 50."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"money must be int yen, got {value!r}")
    return f"−{value:,}" if value > 0 else f"{-value:,}"
