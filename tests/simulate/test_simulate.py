"""The simulator on its own: same seed same bytes, valid names, master data and orders as the spec says."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from zengin_code import Bank

from tasks.errors import KonbiniError
from tasks.feeds import cvs, famima, sej
from tasks.inbox import InboundFile, parse_name
from tasks.kana import is_zengin
from tasks.master import validate_master
from tests.simulate.conftest import tree_digest

REFERENCE_DIGITS = {"seven": 13, "famima": 12, "lawson": 11, "ministop": 11, "daily": 11, "seicomart": 11}


def _rows(folder, prefix):
    rows = []
    for path in sorted(folder.glob(f"{prefix}_*.csv")):
        text = path.read_bytes().decode("utf-8")
        assert text.endswith("\r\n")
        rows += list(csv.DictReader(io.StringIO(text, newline="")))
    return rows


def test_same_seed_same_bytes(simulate_into):
    a = simulate_into(seed=11)
    b = simulate_into(seed=11)
    digest = tree_digest(a.out_dir)
    assert digest == tree_digest(b.out_dir)
    assert len(digest) > 50
    paths = ("out_dir", "inbox", "master", "redeliver")
    assert {k: v for k, v in a.to_dict().items() if k not in paths} == {
        k: v for k, v in b.to_dict().items() if k not in paths}


def test_different_seed_different_bytes(simulate_into):
    a, b = simulate_into(seed=1), simulate_into(seed=2)
    da, db = tree_digest(a.inbox), tree_digest(b.inbox)
    assert da != db
    # not just names: the orders themselves differ
    assert _rows(a.inbox / "orders", "ORDERS") != _rows(b.inbox / "orders", "ORDERS")


def test_every_file_name_is_one_the_spec_knows(simulate_into):
    s = simulate_into()
    names = [p for root in (s.inbox, s.redeliver) for p in sorted(root.glob("*/*"))]
    assert names
    for p in names:
        meta = parse_name(p.parent.name, p.name)
        assert meta is not None, p
    kinds = Counter(parse_name(p.parent.name, p.name).kind for p in sorted(s.inbox.glob("*/*")))
    assert dict(kinds) == s.files


def test_master_data_is_valid_and_varied(simulate_into):
    s = simulate_into(merchants=12, orders_per_day=5, days=1)
    frames, reasons = validate_master(s.master)
    assert reasons == []
    merchants = list(csv.DictReader(io.StringIO((s.master / "merchants.csv").read_text("utf-8"))))
    assert len(merchants) == 12
    assert {m["settlement_cycle"] for m in merchants} == {"1", "2", "6"}
    for m in merchants:
        assert m["bank_code"] != "9900" and m["bank_code"] in Bank.all
        assert m["branch_code"] in Bank.all[m["bank_code"]].branches
        assert is_zengin(m["name_kana"]) and len(m["name_kana"]) <= 30
        assert re.fullmatch(r"\d{7}", m["account_number"])
        assert (m["notify_url"] == "") == (m["notify_secret"] == "")
    with_hooks = [m for m in merchants if m["notify_url"]]
    assert with_hooks and len(with_hooks) < len(merchants)
    assert all(m["notify_url"].startswith("https://") and len(m["notify_secret"]) >= 32 for m in with_hooks)
    header = (s.master / "merchants.csv").read_text("utf-8").splitlines()[0]
    assert header == ("merchant_id,name,name_kana,status,contract_start,settlement_cycle,fee_plan,bank_code,"
                      "branch_code,account_type,account_number,notify_url,notify_secret,email")


def test_orders_are_realistic(simulate_into):
    s = simulate_into(days=3, orders_per_day=700, anomalies={})  # default (small) anomaly rates
    rows = _rows(s.inbox / "orders", "ORDERS")
    assert len(rows) == s.order_rows == 2100
    site_rows = csv.DictReader(io.StringIO((s.master / "sites.csv").read_text("utf-8")))
    sites = {r["site_id"]: r for r in site_rows}
    good = [r for r in rows if 1 <= int(r["amount"]) <= 300_000
            and len(r["payment_reference"]) == REFERENCE_DIGITS[r["chain"]]
            and r["chain"] in sites[r["site_id"]]["chains"].split("|")
            and (date.fromisoformat(r["due_date"]) - date.fromisoformat(r["ordered_at"][:10])).days
            in range(1 if r["chain"] == "famima" else 0, 61)]
    assert len(good) == s.valid_orders  # the deliberately bad rows are exactly the others
    amounts = [int(r["amount"]) for r in good]
    assert sum(500 <= a <= 10_000 for a in amounts) / len(amounts) > 0.6
    assert any(a >= 50_000 for a in amounts)
    chains = Counter(r["chain"] for r in good)
    assert chains["seven"] > chains["famima"] > chains["ministop"]
    assert chains["lawson"] > chains["daily"] and chains["seicomart"] > 0
    refs = Counter((r["chain"] in ("seven", "famima") and r["chain"], r["payment_reference"]) for r in rows)
    assert max(refs.values()) == 1  # unique per chain (the CVS chains share one series)
    assert len({(r["merchant_id"], r["order_id"]) for r in rows}) == len(rows)
    for r in good:
        amount, tax = int(r["amount"]), int(r["tax_amount"])
        if r["tax_mode"] == "non_taxable":
            assert tax == 0
        else:
            assert r["tax_mode"] == "taxable" and 0 <= tax < amount
        assert re.fullmatch(r"[\u30A1-\u30FC]+\u3000[\u30A1-\u30FC]+", r["customer_name_kana"])
        assert re.fullmatch(r"\d{10,11}", r["customer_phone"])
        assert r["customer_email"] == "" or re.fullmatch(r"[a-z.]+\d+@example\.[a-z.]+", r["customer_email"])
        ordered = datetime.fromisoformat(r["ordered_at"])
        assert ordered.utcoffset() == timedelta(hours=9)
    cancels = _rows(s.inbox / "orders", "ORDER_CANCELS")
    assert len(cancels) == s.cancellations > 0
    assert len(cancels) < len(rows) / 50  # rare
    ordered_refs = {(r["merchant_id"], r["order_id"]) for r in good}
    assert all((c["merchant_id"], c["order_id"]) in ordered_refs for c in cancels)


def _is_confirm_file(path, meta) -> bool:
    if meta.kind != "CVS":
        return meta.kind in ("SEJ_02", "FM_K")
    lines = path.read_bytes().decode("cp932").split("\r\n")[:-2]  # without the trailer
    return all(line.startswith("02,") for line in lines)


def test_feed_cadence(simulate_into, settings):
    """速報 batches every 10 to 30 minutes (when there is something to send), 確報 once a day at ~06:00."""
    s = simulate_into(days=2, orders_per_day=400, anomalies={a: 0 for a in (
        "corrupt_file", "sequence_gap", "duplicate_file", "resent_record")})
    for folder in ("sej", "famima", "cvs"):
        files = sorted(((p, parse_name(folder, p.name)) for p in (s.inbox / folder).iterdir()),
                       key=lambda pm: (pm[1].kind, pm[1].sequence_no))
        for kind in {m.kind for _, m in files}:
            numbers = [m.sequence_no for _, m in files if m.kind == kind]
            assert numbers == list(range(1, len(numbers) + 1))  # +1 per file, no gap
        daily = [m for p, m in files if _is_confirm_file(p, m)]
        batches = sorted((m.created_at for p, m in files if not _is_confirm_file(p, m)))
        assert daily and all(m.created_at.hour == 6 and m.created_at.minute < 30 for m in daily)
        assert len({m.created_at.date() for m in daily}) == len(daily)  # one 確報 file a day
        gaps = sorted(b - a for a, b in zip(batches, batches[1:], strict=False))
        assert gaps[0] >= timedelta(minutes=10)
        busy = sorted(b - a for a, b in zip(batches, batches[1:], strict=False) if b.date() == s.start)
        assert busy[len(busy) // 2] <= timedelta(minutes=30)  # on a busy day batches leave every 10-30 min
        # delays: 01/03 minutes to 2 hours after payment, 02 in the 確報 file 3 to 10 days after
        parser = {"sej": sej, "famima": famima, "cvs": cvs}[folder]
        delays: dict[str, list] = {"01": [], "02": [], "03": []}
        for p, m in files:
            parsed = parser.parse(InboundFile(m, p.read_bytes()), settings)
            assert parsed.ok, (p.name, parsed.reasons)
            for r in parsed.events.iter_rows(named=True):
                paid = datetime.combine(r["paid_date"], datetime.strptime(r["paid_time"], "%H%M%S").time())
                if r["kind"] == "02":  # by date: made 3 to 10 days before the file's day
                    delays["02"].append((r["file_created_at"].date() - r["paid_date"]).days)
                else:
                    delays[r["kind"]].append(r["file_created_at"] - paid)
        assert timedelta(0) < min(delays["01"]) and max(delays["01"]) <= timedelta(hours=2)
        assert set(delays["02"]) == set(range(3, 11))
        assert all(timedelta(0) < d <= timedelta(hours=2, minutes=15) for d in delays["03"])


@pytest.mark.parametrize("kwargs, message", [
    ({"anomalies": {"late": 0.1}}, "unknown anomaly 'late'"),
    ({"anomalies": {"late_payment": 1.5}}, "rate must be a number from 0 to 1"),
    ({"anomalies": {"late_payment": 0.3, "duplicate_payment": 0.3}}, "at most 0.5"),
    ({"days": 0}, "--days must be at least 1"),
    ({"merchants": 0}, "--merchants must be from 1"),
    ({"orders_per_day": -1}, "--orders-per-day must be from 0"),
])
def test_bad_arguments_are_clear_errors(simulate_into, kwargs, message):
    with pytest.raises(KonbiniError, match=re.escape(message)):
        simulate_into(**kwargs)


def test_never_overwrites(simulate_into, tmp_path):
    s = simulate_into(out=tmp_path / "once", days=1, orders_per_day=10)
    before = tree_digest(s.out_dir)
    with pytest.raises(KonbiniError, match="already exists"):
        simulate_into(out=tmp_path / "once", days=1, orders_per_day=10, seed=99)
    assert tree_digest(s.out_dir) == before


def test_same_bytes_in_other_processes(tmp_path):
    """No dependence on str hashing (set order): two processes with other hash seeds agree."""
    import os
    import subprocess
    import sys

    code = ("import sys; from datetime import date; from pathlib import Path; "
            "from tasks.settings import Settings; from tasks.simulate import simulate; "
            "from tests.simulate.conftest import LOUD; "
            "simulate(Path(sys.argv[1]), date(2026, 11, 2), 1, 40, 3, anomalies=LOUD, "
            "settings=Settings(data_dir=Path(sys.argv[1])))")
    repo = Path(__file__).resolve().parents[2]
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / hash_seed)], cwd=repo, env=env,
                       check=True, timeout=300)
    assert tree_digest(tmp_path / "1") == tree_digest(tmp_path / "2")


def test_company_codes_come_from_the_settings(tmp_path):
    from tasks.feeds import gs1
    from tasks.settings import Settings
    from tasks.simulate import simulate

    settings = Settings(data_dir=tmp_path, sej_company_code="123456", fm_company_code="11111",
                        gs1_company_code="222222")
    s = simulate(tmp_path / "sim", date(2026, 11, 2), 1, 60, 4, anomalies={}, settings=settings)
    sej = sorted((s.inbox / "sej").iterdir())
    fm = sorted((s.inbox / "famima").iterdir())
    cvs = sorted((s.inbox / "cvs").iterdir())
    assert sej and fm and cvs
    assert all(p.read_bytes()[3:9] == b"123456" for p in sej)
    assert all(p.read_bytes()[2:7] == b"11111" for p in fm)
    for p in cvs:
        for line in p.read_bytes().decode("cp932").split("\r\n")[:-2]:
            assert gs1.decode(line.split(",")[3]).company_code == "222222"
