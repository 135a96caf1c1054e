"""An API order is a fact of the same ledger as an ORDERS row: exported into the inbox, merged by
the pull, paid at the chain (result files written by the feed writers), reconciled: confirmed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tasks import clock
from tasks.feeds import cvs, famima, gs1, sej
from tests.api.conftest import order

# the payment page judges "past due" by today's date: the story happens from today on
TODAY = clock.now().date()
PAID = TODAY + timedelta(days=1)
CONFIRMED = TODAY + timedelta(days=7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%d%H%M%S}"


def dated(order_id: str, **over) -> dict:
    return order(
        order_id, ordered_at=f"{TODAY}T10:00:00+09:00", due_date=str(TODAY + timedelta(days=5)), **over
    )


def _write(inbox, folder: str, name: str, content: bytes) -> None:
    (inbox / folder).mkdir(parents=True, exist_ok=True)
    (inbox / folder / name).write_bytes(content)


def _result_files(inbox, settings, lawson: dict, seven: dict, fm: dict) -> None:
    """速報 on Nov 3 and 確報 on Nov 9 for the three orders, as the chains would send them."""
    bar = gs1.build_barcode(
        settings.gs1_company_code,
        lawson["payment_reference"],
        date.fromisoformat(lawson["due_date"]),
        False,
        lawson["amount"],
    )
    cv = {
        "paid_date": PAID,
        "paid_time": "1015",
        "barcode": bar,
        "stamp_flag": False,
        "amount": lawson["amount"],
        "chain": "lawson",
        "store_code": "101",
    }
    s, k, transfer = at(PAID, 12), at(CONFIRMED, 6, 20), CONFIRMED + timedelta(days=4)
    _write(inbox, "cvs", f"CVS_{stamp(s)}_000001.csv", cvs.build_file(s, [dict(cv, kind="01")]))
    _write(
        inbox,
        "cvs",
        f"CVS_{stamp(k)}_000002.csv",
        cvs.build_file(k, [dict(cv, kind="02", transfer_date=transfer)]),
    )
    sv = {
        "reference": seven["payment_reference"],
        "paid_date": PAID,
        "paid_time": "1030",
        "store_code": "1234567",
        "amount": seven["amount"],
        "stamp_flag": False,
        "transfer_date": None,
    }
    code = settings.sej_company_code
    _write(
        inbox, "sej", f"SEJ_01_{stamp(s)}_000001.dat", sej.build_file("01", s, 1, [dict(sv, kind="01")], code)
    )
    _write(
        inbox,
        "sej",
        f"SEJ_02_{stamp(k)}_000001.dat",
        sej.build_file("02", k, 1, [dict(sv, kind="02", transfer_date=transfer)], code),
    )
    fv = {
        "reference": fm["payment_reference"],
        "paid_date": PAID,
        "paid_time": "100000",
        "store_code": "123456",
        "amount": fm["amount"],
        "stamp_flag": False,
    }
    code = settings.fm_company_code
    _write(
        inbox,
        "famima",
        f"FM_S_{stamp(s)}_000001.dat",
        famima.build_file("S", s, 1, [dict(fv, kind="01")], code),
    )
    rec = dict(fv, kind="02", confirmed_date=CONFIRMED, transfer_date=transfer)
    _write(inbox, "famima", f"FM_K_{stamp(k)}_000001.dat", famima.build_file("K", k, 1, [rec], code))


def test_api_orders_merge_reconcile_and_confirm(client, settings, warehouse, data_dir):
    from tasks.api_orders.export import export
    from tasks.ingest import pull
    from tasks.reconcile.run import reconcile

    lawson = client.post("/api/v1/orders", json=dated("E2E-L")).json()
    seven = client.post(
        "/api/v1/orders", json=dated("E2E-S", chain="seven", amount=5000, tax_amount=454)
    ).json()
    open_order = client.post(
        "/api/v1/orders", json=dated("E2E-F", chain=..., amount=12800, tax_amount=1163)
    ).json()
    inbox = data_dir / "inbox"

    # not chosen yet: not in the ledger
    first = clock.jst(at(TODAY, 11))
    assert export(settings, first) == [f"API_ORDERS_{stamp(at(TODAY, 11))}_000001.csv"]
    chose = client.post(open_order["payment_url"], data={"chain": "famima"}, follow_redirects=False)
    assert chose.status_code == 303
    fm = client.get("/api/v1/orders/E2E-F").json()
    assert fm["chain"] == "famima" and len(fm["payment_reference"]) == 12

    second = clock.jst(at(TODAY, 12))
    assert export(settings, second) == [f"API_ORDERS_{stamp(at(TODAY, 12))}_000002.csv"]
    assert export(settings, second) == []  # nothing new: nothing written
    outcomes = pull(warehouse, second, settings)
    assert [(o.kind, o.state, o.counts.get("orders")) for o in outcomes] == [
        ("API_ORDERS", "accepted", 2),
        ("API_ORDERS", "accepted", 1),
    ]

    _result_files(inbox, settings, lawson, seven, fm)
    later = clock.jst(at(CONFIRMED, 7))
    outcomes = pull(warehouse, later, settings)
    assert {o.state for o in outcomes} == {"accepted"}, [
        (o.name, str(o.reasons)) for o in outcomes if o.reasons
    ]
    with warehouse.write() as con:
        reconcile(con, later)
        exceptions = con.execute("select code from exceptions").fetchall()
        rows = con.execute(
            "select o.order_id, o.chain, f.kind from orders o join inbound_files f using (file_id)"
            " where o.merchant_id = 'M000001' order by o.order_id"
        ).fetchall()
    assert exceptions == []
    assert rows == [
        ("E2E-F", "famima", "API_ORDERS"),
        ("E2E-L", "lawson", "API_ORDERS"),
        ("E2E-S", "seven", "API_ORDERS"),
    ]
    assert client.get("/api/v1/orders/E2E-L").json()["status"] == "registered"  # not published yet
    warehouse.publish()
    for order_id in ("E2E-L", "E2E-S", "E2E-F"):
        assert client.get(f"/api/v1/orders/{order_id}").json()["status"] == "confirmed", order_id
    page = client.get(lawson["payment_url"])
    assert "お支払いは完了しています" in page.text
