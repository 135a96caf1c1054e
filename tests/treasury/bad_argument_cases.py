"""Bad-argument cases of the treasury commands that hold on any warehouse (no import of other
tests: tests/core/test_bad_arguments.py adds them to its CASES)."""

ACCOUNT = ["--bank", "0005", "--branch", "001", "--type", "1", "--account", "1234567", "--name", "ﾔﾏﾀﾞ"]
RETURN = ["payouts", "return", "--payout-date", "2026-11-16", "--merchant", "M000003", "--reason", "口座なし"]

GENERIC: list[tuple[list[str], str]] = [
    (["payouts", "return", "--payout-date", "2026-02-30", "--merchant", "M000003", "--reason", "x",
      "--bank-record", "2026-11-17/000001"], "--payout-date '2026-02-30' is not a date"),
    (["refunds", "pay", "EX000000000000", *ACCOUNT[:1], "9900", *ACCOUNT[2:]],
     "--bank '9900': bank 9900 (ゆうちょ銀行, Japan Post Bank) is not allowed"),
    (["refunds", "list", "--state", "owed"], "No such option: --state"),
    (["receivables", "list", "--state", "lost"], "--state 'lost': must be open or paid"),
    (["receivables", "match", "RC-nope", "--bank-record", "2026-11-17/000001"],
     "receivable 'RC-nope': no such receivable"),
    (["receivables", "invoice", "RC-nope"], "receivable 'RC-nope': no such receivable"),
]
