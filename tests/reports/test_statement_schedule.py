from datetime import date

from tasks.render import schedule, statement
from tasks.render.jobs import render_job
from tasks.render.pdf import font_problems, page_png, pdf_text


def test_settlement_statement_is_a_qualified_invoice(settled_world, settings, as_of, tmp_path):
    with settled_world.read() as con:
        assert statement.finalized_ids(con) == ["M000003-20261101"]
        job = statement.gather(con, "M000003-20261101", settings, as_of)
    r = render_job(job, tmp_path)
    text = pdf_text(r.pdf_path)
    flat = " ".join(text.split())
    for expected in (
        "入金明細書 兼 適格請求書", "学校法人みほん学園 御中", settings.company_name,
        f"登録番号 {settings.invoice_registration_number}", "2026年11月1日(日) 〜 2026年11月5日(木)",
        "2026年11月11日(水) 23:59:59", "2026年11月16日(月)", "103,000", "13,360", "1,336", "88,104",
        "10%対象 合計(税抜) 13,360", "消費税額(10%) 1,336", "印紙代(不課税)", "C-3001", "C-3002", "C-3003",
        "月額基本料(2026年11月分)", "初期費用", "****111", "当座",
        "みずほ(金融機関コード 0001) 本店(支店コード 100)",
    ):
        assert expected in flat, expected
    assert "0001111" not in flat  # the account number is masked
    assert "※" not in flat  # nothing carried over
    assert font_problems(r.pdf_path) == []
    assert page_png(r.pdf_path, tmp_path.parent / "statement").exists()
    assert "−0" not in flat and "円 −" not in flat  # nothing adjusted or carried: 0, never −0
    csv = r.csv_path.read_bytes().decode("utf-8-sig")
    # a total is in its own column, never in the amount column it sums
    assert "M000003-20261101,M000003,,total_net,差引入金額,,,,,,,,,88104\r\n" in csv
    amounts = [int(row.split(",")[8]) for row in csv.splitlines()[1:] if row.split(",")[8]]
    assert sum(amounts) == 103000 + 3000 + 10000 + 1336  # the lines only
    assert "0001111" not in csv


def test_settlement_schedule_for_next_month(small_world, settings, as_of, tmp_path):
    month = schedule.next_month(date(2026, 11, 1))
    assert month == date(2026, 12, 1)
    assert schedule.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    with small_world.read() as con:
        assert schedule.merchants_due(con) == ["M000001", "M000002", "M000003"]
        job = schedule.gather(con, "M000003", month, settings, as_of)
    r = render_job(job, tmp_path)
    flat = " ".join(pdf_text(r.pdf_path).split())
    assert "入金スケジュール表" in flat and "2026年12月" in flat and "月6回" in flat
    # 12-26..12-31 pays on Jan 10 (a Sunday; Jan 11 is Coming of Age Day) -> Jan 12
    assert "2026年12月26日(土)" in flat and "2026年12月31日(木)" in flat
    assert "2027年1月12日(火)" in flat
    assert font_problems(r.pdf_path) == []
    page_png(r.pdf_path, tmp_path.parent / "schedule")
    rows = r.csv_path.read_bytes().decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 6
    assert rows[-1] == "M000003,2026-12,6,2026-12-26,2026-12-31,2027-01-06 23:59:59,2027-01-12,2027-01-10"


def test_negative_net_is_carried_out_not_transferred(small_world, settings, as_of, tmp_path):
    sid = "M000001-20261201"
    with small_world.write() as con:
        con.execute(
            "insert into settlement_finalizations (settlement_id, merchant_id, period_start, period_end,"
            " cutoff, payout_date, finalized_at, finalized_by, run_id, cycle, payment_count, payments_total,"
            " fees, tax, stamps, adjustments, carried_in, net) values (?, 'M000001', date '2026-12-01',"
            " date '2026-12-31', timestamp '2027-01-12 23:59:59', date '2027-01-15',"
            " timestamp '2027-01-13 07:00', 'schedule', 9, 1, 1, 2000, 3130, 313, 0, -5000, 0, -6443)", [sid])
        lines = ((1, "payment", "A-1001", 2000, 130), (2, "monthly_fee", None, 3000, 0),
                 (3, "tax", None, 313, 0), (4, "adjustment", None, -5000, 0))
        for n, kind, oid, amount, fee in lines:
            con.execute("insert into settlement_lines (settlement_id, line_no, kind, order_id, chain,"
                        " paid_date, amount, fee, stamp)"
                        " values (?, ?, ?, ?, 'seven', date '2026-12-02', ?, ?, 0)",
                        [sid, n, kind, oid, amount, fee])
        job = statement.gather(con, sid, settings, as_of)
    assert job.context["f"]["transfer"] == 0 and job.context["f"]["carried_out"] == -6443
    r = render_job(job, tmp_path)
    flat = " ".join(pdf_text(r.pdf_path).split())
    tight = "".join(flat.split())  # pdftotext spaces figures and units unevenly
    assert "差引入金額-6,443円" in tight and "お振込額0円" in tight and "次回繰越額-6,443円" in tight
    assert "調整額-5,000円" in tight
    assert "印紙代(不課税)0円" in tight and "−0" not in tight  # no stamps: 0, never −0
    csv = r.csv_path.read_bytes().decode("utf-8-sig")
    # negative amounts stay numbers in the CSV (not escaped as formulas)
    assert f"{sid},M000001,4,adjustment,調整,,seven,2026-12-02,-5000,0,0,,," in csv
    assert f"{sid},M000001,,total_net,差引入金額,,,,,,,,,-6443\r\n" in csv


def test_a_payment_carried_over_from_its_own_period_is_marked(settled_world, settings, as_of, tmp_path):
    with settled_world.write() as con:
        con.execute("update settlement_lines set carried_from = date '2026-10-26'"
                    " where settlement_id = 'M000003-20261101' and line_no = 3")
        job = statement.gather(con, "M000003-20261101", settings, as_of)
    r = render_job(job, tmp_path)
    flat = " ".join(pdf_text(r.pdf_path).split())
    assert "2026-11-05 ※" in flat and "前の期間から繰り越して" in flat
    csv = r.csv_path.read_bytes().decode("utf-8-sig")
    assert ",3,payment,収納,C-3003,seicomart,2026-11-05,8000,120,0,,2026-10-26," in csv
