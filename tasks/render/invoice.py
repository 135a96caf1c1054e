"""請求書 (invoice) of a receivable: what a terminated merchant owes us after its final settlement.

The statement's look (reports/invoice.html.j2 extends the same base and CSS): the final
settlement's figures as `v_settlements` holds them, the amount owed (its negative net), our account
to pay into and the remitter name that lets the payment be matched by itself (the merchant's
name_kana). A receivable's invoice is as of its raising: the same bytes whenever it is rendered.
"""

from __future__ import annotations

import duckdb

from tasks.clock import jst
from tasks.errors import KonbiniError
from tasks.render.csvout import Column
from tasks.render.jobs import Rendered, ReportJob, render_job
from tasks.render.labels import ACCOUNT_TYPES, bank_and_branch, jdate
from tasks.render.run import out_root
from tasks.render.statement import TOTALS
from tasks.settings import Settings

CSV_COLUMNS = (
    Column("receivable_id", "請求番号"),
    Column("merchant_id", "加盟店番号"),
    Column("settlement_id", "明細番号"),
    Column("item", "項目コード"),
    Column("item_name", "項目"),
    Column("amount", "金額"),
)
# the final settlement's figures, named as on its statement, then what is owed
ITEMS = {k: TOTALS[k] for k in ("payments_total", "fees", "tax", "stamps", "adjustments", "carried_in")}
ITEMS |= {"net": "差引額", "amount_due": "ご請求金額"}
_QUERY = """
select r.receivable_id, r.merchant_id, r.settlement_id, r.amount, r.raised_at, m.name, m.name_kana,
       s.period_start, s.period_end, s.payout_date, s.payments_total, s.fees, s.tax, s.stamps,
       s.adjustments, s.carried_in, s.net
from receivables r
join settlement_finalizations s using (settlement_id)
left join current_merchants m on m.merchant_id = r.merchant_id
where r.receivable_id = ?
"""


def gather(con: duckdb.DuckDBPyConnection, receivable_id: str, settings: Settings) -> ReportJob:
    row = con.execute(_QUERY, [receivable_id]).fetchone()
    if row is None:
        raise KonbiniError(f"receivable {receivable_id!r}: no such receivable (`konbini receivables list`)")
    (rid, merchant_id, sid, amount, raised_at, name, name_kana, start, end, payout, *figures) = row
    f = dict(zip(list(ITEMS)[:7], (int(x) for x in figures), strict=True)) | {"amount_due": int(amount)}
    ours = settings.payout_account
    bank_name, branch_name = bank_and_branch(ours.bank_code, ours.branch_code)
    context = {
        "title": "請求書", "company_name": settings.company_name,
        "registration_number": settings.invoice_registration_number,
        "merchant": {"merchant_id": merchant_id, "name": name or merchant_id},
        "receivable_id": rid, "settlement_id": sid, "issued_label": jdate(raised_at.date()),
        "period_label": f"{jdate(start)} 〜 {jdate(end)}", "payout_label": jdate(payout),
        "remitter_name": name_kana or "",
        "account": {"bank_name": bank_name, "bank_code": ours.bank_code, "branch_name": branch_name,
                    "branch_code": ours.branch_code, "type": ACCOUNT_TYPES.get(ours.account_type, ""),
                    "number": ours.account_number},
        "f": f,
    }
    rows = tuple((rid, merchant_id, sid, key, label, f[key]) for key, label in ITEMS.items())
    return ReportJob(kind="invoice", merchant_id=merchant_id, subject=rid, template="invoice.html.j2",
                     context=context, csv_columns=CSV_COLUMNS, csv_rows=rows, as_of=jst(raised_at),
                     title=f"請求書 {rid}")


def render_invoice(con: duckdb.DuckDBPyConnection, receivable_id: str, settings: Settings) -> Rendered:
    """The 請求書 as PDF + CSV under the merchant's reports folder (data/out/reports/<merchant>/)."""
    return render_job(gather(con, receivable_id, settings), out_root(settings))
