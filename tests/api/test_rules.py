"""Every rule of rules.md's order section (and each field's form) gives 422 over HTTP with every
reason in the words of the order-file rejection report: the same row sent in an ORDERS file is
rejected with exactly the same (field, reason) pairs. One rule set, two doors."""

from __future__ import annotations

import pytest

from schemas.orders import ORDER_COLUMNS, ORDER_FORM, ORDER_RULES, failures, quick_failures
from tasks.inbox import InboundFile, parse_name
from tasks.warehouse import transaction
from tests.api.conftest import AS_OF, order

# (what is wrong, body overrides, a reason that must be among the answer's)
CASES = [
    ("amount 0", {"amount": 0}, ("amount", "must be from 1 to 300,000 yen")),
    ("amount over 300,000", {"amount": 300_001, "tax_amount": 0, "tax_mode": "non_taxable"},
     ("amount", "must be from 1 to 300,000 yen")),
    ("amount not an integer", {"amount": "3,980"},
     ("amount", "must be an integer number of yen (digits only)")),
    ("due 61 days after", {"due_date": "2027-01-02"},
     ("due_date", "must be at most 60 days after the order date (the JST date of ordered_at)")),
    ("due before the order", {"due_date": "2026-11-01"},
     ("due_date", "must not be before the order date (the JST date of ordered_at)")),
    ("famima due on the order day", {"chain": "famima", "due_date": "2026-11-02"},
     ("due_date", "must be at least 1 day after the order date (the JST date of ordered_at) for famima")),
    ("no due date", {"due_date": None}, ("due_date", "must be a real date YYYY-MM-DD")),
    ("chain not enabled", {"site_id": "S000003", "chain": "seven", "_merchant": "M000003"},
     ("chain", "chain seven is not enabled for site S000003")),
    ("unknown chain", {"chain": "circlek"},
     ("chain", "must be one of seven, lawson, famima, ministop, daily, seicomart")),
    ("suspended merchant", {"site_id": "S000004", "_merchant": "M000004"},
     ("merchant_id", "merchant is suspended: it takes no new orders")),
    ("closed site", {"site_id": "S000005"}, ("site_id", "site is closed: it takes no new orders")),
    ("unknown site", {"site_id": "S999999"}, ("site_id", "unknown site: not in the current master data")),
    ("tax on non-taxable", {"tax_mode": "non_taxable"},
     ("tax_amount", "must be 0 when tax_mode is non_taxable")),
    ("tax not below amount", {"tax_amount": 3980},
     ("tax_amount", "must be from 0 to amount - 1 when tax_mode is taxable")),
    ("order id form", {"order_id": "A/1"}, ("order_id", "must be 1 to 32 of A-Z a-z 0-9 - _")),
    ("ordered_at without offset", {"ordered_at": "2026-11-02T10:00:00"},
     ("ordered_at", "must be an ISO 8601 date and time with seconds and offset, "
                    "e.g. 2026-11-26T10:15:00+09:00")),
    ("kana", {"customer_name_kana": "yamada"},
     ("customer_name_kana", "must be 1 to 40 full-width katakana, ー or full-width spaces")),
    ("phone", {"customer_phone": "03-1234-5678"}, ("customer_phone", "must be 10 or 11 digits")),
    ("email", {"customer_email": "taro@"}, ("customer_email", "must be an e-mail address or empty")),
    ("several at once", {"amount": 0, "due_date": "2027-03-01", "customer_phone": "1"},
     ("customer_phone", "must be 10 or 11 digits")),
]
REFERENCE = {"seven": "1999999999999", "famima": "399999999999"}


def _file_reasons(warehouse, settings, body: dict, merchant: str, seq: int) -> list[tuple[str, str]]:
    """The (field, reason) pairs an ORDERS file gives the same row."""
    from tasks.orders import ingest_orders_file

    row = {**{c: "" for c in ORDER_COLUMNS}, "merchant_id": merchant}
    for k, v in body.items():
        if k in row:
            row[k] = "" if v is None else str(v)
    row["payment_reference"] = REFERENCE.get(row["chain"], "29999999999")
    text = ",".join(ORDER_COLUMNS) + "\n" + ",".join(f'"{row[c]}"' for c in ORDER_COLUMNS) + "\n"
    f = InboundFile(parse_name("orders", f"ORDERS_20261102110000_{seq:06d}.csv"), text.encode("utf-8"))
    with warehouse.session() as con, transaction(con):
        outcome = ingest_orders_file(con, f, AS_OF, settings)
    return sorted((r.field, r.reason) for r in outcome.reasons)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_rule_gives_422_with_the_order_file_reasons(case, server, keys, warehouse, settings):
    import httpx

    name, over, expected = case
    over = dict(over)
    merchant = over.pop("_merchant", "M000001")
    body = order(**{"order_id": f"RULE-{CASES.index(case)}", **over})
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {keys[merchant]}"}) as c:
        r = c.post("/api/v1/orders", json=body)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_order"
    got = sorted((x["field"], x["reason"]) for x in err["reasons"])
    assert expected in got
    assert got == _file_reasons(warehouse, settings, body, merchant, CASES.index(case) + 1)


def test_quick_failures_is_failures(settings):
    """The API's evaluator of the Pandera schemas finds exactly what Pandera finds."""
    import polars as pl

    rows = []
    for _, over, _ in CASES:
        body = {k: v for k, v in order(**{"order_id": "X", **over}).items() if not k.startswith("_")}
        row = {c: "" if body.get(c) is None else str(body.get(c, "")) for c in ORDER_COLUMNS}
        row.update(merchant_id="M000001", payment_reference="1" * 11)
        rows.append(row)
    raw = pl.DataFrame(rows).with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    key = ["row", "field", "reason"]
    assert quick_failures(ORDER_FORM, raw).sort(key).equals(failures(ORDER_FORM, raw).sort(key))
    from tasks.orders import _typed_orders

    typed = _typed_orders(raw, failures(ORDER_FORM, raw))
    assert quick_failures(ORDER_RULES, typed).sort(key).equals(failures(ORDER_RULES, typed).sort(key))


def test_an_orders_file_row_with_an_issued_reference_is_rejected(client, warehouse, settings):
    """References we issue and references in ORDERS files never collide: the file row loses."""
    issued = client.post("/api/v1/orders", json=order("ISSUED-1")).json()["payment_reference"]
    from tasks.orders import ingest_orders_file

    row = dict(order("FILE-1"), merchant_id="M000001", payment_reference=issued)
    text = ",".join(ORDER_COLUMNS) + "\n" + ",".join(str(row[c]) for c in ORDER_COLUMNS) + "\n"
    f = InboundFile(parse_name("orders", "ORDERS_20261102120000_000099.csv"), text.encode("utf-8"))
    with warehouse.session() as con, transaction(con):
        outcome = ingest_orders_file(con, f, AS_OF, settings)
        n = con.execute("select count(*) from orders where order_id = 'FILE-1'").fetchone()[0]
    assert n == 0
    assert [(r.field, r.reason) for r in outcome.reasons] == [
        ("payment_reference", "already used by another order of chain lawson (references are never reused)")]
