"""Each feed file read and checked on its own: the samples, the bad samples, and targeted breakage."""

from datetime import date, datetime

import pytest

from tasks.feeds import cvs, famima, gs1, sej
from tasks.feeds.layout import format_record
from tasks.inbox_kinds import BY_KIND
from tests.feeds.conftest import inbound, sample, sample_files, seven_record


def parse(f, settings):
    return BY_KIND[f.meta.kind].parser.parse(f, settings)


def test_every_sample_file_parses_with_its_counts(settings):
    counts = {}
    for f in sample_files():
        parsed = parse(f, settings)
        assert parsed.ok, (f.meta.name, [str(r) for r in parsed.reasons])
        for kind, n in parsed.events.group_by("kind").len().iter_rows():
            counts[(f.meta.kind, kind)] = counts.get((f.meta.kind, kind), 0) + n
    assert counts == {
        ("SEJ_01", "01"): 4,
        ("SEJ_02", "02"): 3,
        ("FM_S", "01"): 2,
        ("FM_S", "03"): 1,
        ("FM_K", "02"): 1,
        ("CVS", "01"): 5,
        ("CVS", "02"): 4,
    }


def test_sample_events_have_the_wire_values(settings):
    fm = parse(sample("inbox", "famima", "FM_K_20261109061000_000001.dat"), settings).events.row(
        0, named=True
    )
    assert fm["reference"] == "300000000007" and fm["paid_time"] == "111100" and fm["amount"] == 300000
    assert fm["confirmed_date"] == date(2026, 11, 9) and fm["transfer_date"] == date(2026, 11, 13)
    assert fm["stamp_flag"] is True and fm["chain"] == "famima" and fm["kind"] == "02"
    cv = parse(sample("inbox", "cvs", "CVS_20261109062000_000002.csv"), settings).events
    assert cv["chain"].to_list() == ["lawson", "ministop", "daily", "seicomart"]
    assert cv["reference"].to_list() == ["20000000003", "20000000009", "20000000010", "20000000011"]
    assert cv["store_code"].to_list() == ["101", "5001", "7001", "9001"]
    assert cv["barcode_stamp"].to_list() == [False, False, True, False]


@pytest.mark.parametrize(
    "folder, name, field, words",
    [
        (
            "sej",
            "SEJ_01_20261110090000_000002.dat",
            "total",
            "trailer total is 3981 but the records give 3980",
        ),
        ("famima", "FM_S_20261110090000_000002.dat", None, "not a multiple of 128"),
        ("cvs", "CVS_20261110090000_000003.csv", "barcode", "check digit is wrong"),
    ],
)
def test_bad_samples_are_rejected_with_the_reason_the_spec_states(settings, folder, name, field, words):
    parsed = parse(sample("bad", folder, name), settings)
    assert any(words in r.reason and r.field == field for r in parsed.reasons), [
        str(r) for r in parsed.reasons
    ]


def _sej(records, kind="01", created=datetime(2026, 11, 4, 21), seq=1, company="912345"):
    content = sej.build_file(kind, created, seq, records, company)
    return inbound("sej", f"SEJ_{kind}_{created:%Y%m%d%H%M%S}_{seq:06d}.dat", content)


def test_sej_checks_name_header_company_and_kinds(settings):
    f = _sej([seven_record(), seven_record(ref="1000000000002")], company="111111")
    foreign = format_record(
        sej.DATA, seven_record(kind="02", ref="1000000000002", transfer=date(2026, 11, 13))
    )
    content = f.content[:244] + foreign + f.content[364:]  # record 3 becomes a 02
    f = inbound("sej", "SEJ_01_20261104210500_000007.dat", content)
    reasons = {(r.field, r.reason.split(" is ")[0]) for r in parse(f, settings).reasons}
    assert ("company_code", "header company code") in reasons
    assert ("created_at", "header created at (file name)") in reasons
    assert ("sequence_no", "header sequence number (file name)") in reasons
    assert ("kind", "a 02 record cannot be in an SEJ 01 file") in {
        (r.field, r.reason) for r in parse(f, settings).reasons
    }


def test_sej_field_forms_name_record_field_and_value(settings):
    good = _sej([seven_record(), seven_record(ref="1000000000002")])
    broken = bytearray(good.content)
    # record 3 (second data record): paid date 20261131 (impossible), stamp flag 7
    start = 2 * 122
    broken[start + 16 : start + 24] = b"20261131"
    broken[start + 41 : start + 42] = b"7"
    reasons = parse(inbound("sej", good.meta.name, bytes(broken)), settings).reasons
    got = {(r.line_no, r.field, r.value) for r in reasons}
    assert (3, "paid_date", "20261131") in got and (3, "stamp_flag", "7") in got


def test_sej_duplicate_identity_within_a_file_and_missing_end(settings):
    f = _sej([seven_record(), seven_record()])
    reasons = parse(f, settings).reasons
    assert [(r.line_no, r.reason) for r in reasons] == [(3, "same event identity as record 2 (kind 01)")]
    f = _sej([seven_record(), seven_record(hhmm="1231")])
    assert parse(f, settings).ok
    cut = f.content[:-122]  # without the end record
    reasons = parse(inbound("sej", f.meta.name, cut), settings).reasons
    assert [r.reason for r in reasons] == ["the end record is missing"]
    reasons = parse(inbound("sej", f.meta.name, f.content + b"9" + b" " * 119 + b"\r\n"), settings).reasons
    assert any(r.reason.startswith("a second end record") for r in reasons)
    reasons = parse(inbound("sej", f.meta.name, f.content[:-2]), settings).reasons
    assert any("not followed by" in r.reason for r in reasons)


def test_famima_company_code_of_records_and_k_cancel(settings):
    rec = {
        "kind": "02",
        "reference": "300000000007",
        "paid_date": date(2026, 11, 4),
        "paid_time": "111100",
        "store_code": "654321",
        "amount": 300000,
        "stamp_flag": True,
        "confirmed_date": date(2026, 11, 9),
        "transfer_date": date(2026, 11, 13),
    }
    content = bytearray(famima.build_file("K", datetime(2026, 11, 9, 6, 10), 1, [rec], "54321"))
    content[128 + 1] = ord("2")  # K + 2 is invalid
    content[128 + 2 : 128 + 7] = b"99999"
    f = inbound("famima", "FM_K_20261109061000_000001.dat", bytes(content))
    got = {(r.line_no, r.field) for r in parse(f, settings).reasons}
    assert (2, "division") in got and (2, "company_code") in got
    assert (3, "total") in got and (3, "cancel_total") in got  # sums follow the division


def test_cvs_checks_barcode_company_amount_and_shape(settings):
    code = gs1.build_barcode("912346", "20000000003", date(2026, 11, 9), False, 54000)
    rec = {
        "kind": "01",
        "paid_date": "20261103",
        "paid_time": "1945",
        "barcode": code,
        "stamp_flag": False,
        "amount": 54001,
        "chain": "lawson",
        "store_code": "101",
    }
    content = cvs.build_file(datetime(2026, 11, 4, 17), [rec])
    content = content.replace(b"\r\n99", b"\r\n01,20261103\r\n99")
    f = inbound("cvs", "CVS_20261104170000_000001.csv", content)
    reasons = parse(f, settings).reasons
    got = {(r.line_no, r.field, r.reason) for r in reasons}
    assert (1, "amount", "金額 differs from the barcode's amount") in got
    assert (1, "barcode", "barcode company code is not ours (912345)") in got or any(
        r.field == "barcode" and "company code" in r.reason for r in reasons
    )
    assert any(r.line_no == 2 and "11 fields" in r.reason for r in reasons)
    assert any(r.line_no == 3 and r.field == "count" for r in reasons)  # trailer says 1, lines are 2


def test_cvs_in_utf8_is_rejected(settings):
    content = sample("inbox", "cvs", "CVS_20261104170000_000001.csv").content.decode("cp932").encode("utf-8")
    parsed = parse(inbound("cvs", "CVS_20261104170000_000001.csv", content), settings)
    assert parsed.reasons and all(r.field == "chain_name" or "cp932" in r.reason for r in parsed.reasons)
