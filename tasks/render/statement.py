"""Settlement statement (入金明細書 兼 適格請求書) per settlement.

One document does two jobs: the payout statement (every payment line, fees, stamps, balances
carried in and out, net) and the qualified invoice (適格請求書) for our fees: issuer name and
registration number, recipient name, transaction dates (the period's paid dates), description,
amounts per tax rate (10% on fees; stamp charges bear no tax) and the tax per rate, which is the
statement's tax rounded down once (rules.md).

Figures come from the settlement area's views `v_settlements` / `v_settlement_lines` as they are:
this module shows them, it never recomputes them. The account is the one the payout used
(`payout_transfers`) when there is one, else the current master's; all but the last 3 digits masked.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from tasks.clock import jst
from tasks.errors import KonbiniError
from tasks.render.csvout import Column
from tasks.render.jobs import ReportJob
from tasks.render.labels import ACCOUNT_TYPES, bank_and_branch, chain_name, jdate, mask_account
from tasks.settings import Settings
from tasks.settle.charges import TAX_PERCENT

LINE_KINDS = {
    "payment": "収納", "monthly_fee": "月額基本料", "initial_fee": "初期費用", "tax": "消費税",
    "adjustment": "調整", "carried_in": "前回繰越",
}
# The CSV: one row per line of the statement, then one row per total, whose figure is in its own
# column (`total`), so that adding up the amount column never counts a total twice.
CSV_COLUMNS = (
    Column("settlement_id", "明細番号"),
    Column("merchant_id", "加盟店番号"),
    Column("line_no", "行番号"),
    Column("kind", "区分コード"),
    Column("kind_name", "区分"),
    Column("order_id", "注文番号", code=True),
    Column("chain", "チェーンコード"),
    Column("paid_date", "収納日"),
    Column("amount", "金額"),
    Column("fee", "手数料"),
    Column("stamp", "印紙代"),
    Column("fee_month", "対象月"),
    Column("carried_from", "繰越元の期間"),
    Column("total", "合計額"),
)
TOTALS = {
    "payments_total": "収納金額合計", "fees": "手数料合計(税抜)", "tax": "消費税", "stamps": "印紙代合計",
    "adjustments": "調整額合計", "carried_in": "前回繰越額", "net": "差引入金額", "transfer": "お振込額",
    "carried_out": "次回繰越額",
}

# One query each for any number of settlements (gathering 1,000 statements one by one costs
# more than rendering them).
_SETTLEMENTS = """
select s.settlement_id, s.merchant_id, s.cycle, s.period_start, s.period_end, s.cutoff, s.payout_date,
       s.payment_count, s.payments_total, s.fees, s.tax, s.stamps, s.adjustments, s.carried_in, s.net,
       s.state, s.finalized_at, m.name,
       coalesce(t.bank_code, m.bank_code), coalesce(t.branch_code, m.branch_code),
       coalesce(t.account_type, m.account_type), coalesce(t.account_number, m.account_number)
from v_settlements s
left join current_merchants m using (merchant_id)
left join payout_transfers t on t.merchant_id = s.merchant_id and t.payout_date = s.payout_date
where s.settlement_id in (select unnest($ids))
"""
_LINES = """
select settlement_id, line_no, kind, order_id, chain, paid_date, amount, fee, stamp, fee_month, carried_from
from v_settlement_lines where settlement_id in (select unnest($ids)) order by settlement_id, line_no
"""


def finalized_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select settlement_id from settlement_finalizations order by settlement_id").fetchall()
    return [r[0] for r in rows]


def as_of_for(con: duckdb.DuckDBPyConnection, settlement_id: str, draft_as_of: datetime) -> datetime:
    """A finalized settlement's statement is as of its finalization (the same bytes whenever it is
    rendered); a draft's is as of the time asked."""
    rows = con.execute("select finalized_at from settlement_finalizations where settlement_id = ?",
                       [settlement_id]).fetchall()
    return jst(rows[0][0]) if rows else draft_as_of


def gather(con: duckdb.DuckDBPyConnection, settlement_id: str, settings: Settings,
           as_of: datetime) -> ReportJob:
    return gather_many(con, [(settlement_id, as_of)], settings)[0]


def gather_many(con: duckdb.DuckDBPyConnection, wanted: list[tuple[str, datetime]],
                settings: Settings) -> list[ReportJob]:
    """The statements of (settlement id, as-of) pairs, in that order."""
    ids = [sid for sid, _ in wanted]
    rows = {r[0]: r for r in con.execute(_SETTLEMENTS, {"ids": ids}).fetchall()}
    missing = [sid for sid in ids if sid not in rows]
    if missing:
        raise KonbiniError(f"settlement {missing[0]!r} not found (see v_settlements)")
    lines: dict[str, list[dict]] = {sid: [] for sid in ids}
    for sid, n, k, oid, c, pd, a, f, s, fm, cf in con.execute(_LINES, {"ids": ids}).fetchall():
        lines[sid].append(
            {"line_no": n, "kind": k, "kind_name": LINE_KINDS.get(k, k), "order_id": oid, "chain": c,
             "chain_name": chain_name(c) if c else "", "paid_date": pd, "amount": int(a), "fee": int(f),
             "stamp": int(s), "fee_month": fm, "carried_from": cf})
    returned = _returned(con, ids)
    return [_job(rows[sid], lines[sid], settings, as_of, returned.get(rows[sid][1], []))
            for sid, as_of in wanted]


# Returned payouts of the statements' merchants (treasury.md): never netted, shown beside the figures.
_RETURNED = """
select r.merchant_id, r.return_id, r.payout_date, r.amount, r.decided_at, p.payout_date, s.as_of
from returned_payouts r
left join payout_repayments p using (return_id)
left join settlement_runs s on s.run_id = p.run_id
where r.merchant_id in (select distinct split_part(unnest($ids), '-', 1))
order by r.merchant_id, r.decided_at, r.return_id
"""


def _returned(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for merchant_id, *rest in con.execute(_RETURNED, {"ids": ids}).fetchall():
        out.setdefault(merchant_id, []).append(tuple(rest))
    return out


def _returns_shown(returned: list[tuple], payout, as_of: datetime) -> list[dict]:
    """Returned payouts waiting as of the statement, and those paid again with its payout."""
    at = as_of.replace(tzinfo=None)
    shown = []
    for return_id, original, amount, decided_at, repaid_on, repaid_at in returned:
        if repaid_on == payout:
            state = "再振込(この入金日)"
        elif decided_at <= at and (repaid_at is None or repaid_at > at):
            state = "再振込待ち"
        else:
            continue
        shown.append({"return_id": return_id, "payout_label": jdate(original), "amount": int(amount),
                      "state": state, "kind": "repayment" if repaid_on == payout else "returned_waiting"})
    return shown


def _job(row: tuple, lines: list[dict], settings: Settings, as_of: datetime,
         returned: list[tuple]) -> ReportJob:
    (sid, merchant_id, cycle, start, end, cutoff, payout, count, total, fees, tax, stamps, adjustments,
     carried_in, net, state, finalized_at, name, bank, branch, account_type, number) = row
    account = _account(bank, branch, account_type, number)
    payments = [ln for ln in lines if ln["kind"] == "payment"]
    per_payment_fees = sum(ln["fee"] for ln in payments)
    # a plan without a monthly fee still records the month covered, as a 0-yen line: not invoiced
    other_fees = [ln for ln in lines if ln["kind"] in ("monthly_fee", "initial_fee") and ln["amount"]]
    issued = finalized_at.date() if finalized_at else as_of.date()
    figures = {
        "payments_total": int(total), "payment_count": int(count), "fees": int(fees), "tax": int(tax),
        "stamps": int(stamps), "adjustments": int(adjustments), "carried_in": int(carried_in),
        "net": int(net), "transfer": max(int(net), 0), "carried_out": min(int(net), 0),
        "per_payment_fees": per_payment_fees,
        "fees_with_tax": int(fees) + int(tax),
    }
    context = {
        "title": "入金明細書 兼 適格請求書",
        "company_name": settings.company_name,
        "registration_number": settings.invoice_registration_number,
        "tax_rate": TAX_PERCENT,
        "merchant": {"merchant_id": merchant_id, "name": name or merchant_id},
        "settlement_id": sid,
        "draft": state != "finalized",
        "cycle": int(cycle),
        "period_label": f"{jdate(start)} 〜 {jdate(end)}",
        "cutoff_label": f"{jdate(cutoff.date())} {cutoff:%H:%M:%S}",
        "payout_label": jdate(payout),
        "issued_label": jdate(issued),
        "account": account,
        "payments": payments,
        "other_fees": other_fees,
        "adjustment_lines": [ln for ln in lines if ln["kind"] == "adjustment"],
        "any_carried": any(ln["carried_from"] for ln in payments),
        "f": figures,
        "returns": _returns_shown(returned, payout, as_of),
    }
    return ReportJob(kind="statement", merchant_id=merchant_id, subject=sid, template="statement.html.j2",
                     context=context, csv_columns=CSV_COLUMNS,
                     csv_rows=_csv_rows(sid, merchant_id, lines, figures, context["returns"]), as_of=as_of,
                     title=f"入金明細書 {sid}")


def _account(bank: str | None, branch: str | None, account_type: str | None, number: str | None) -> dict:
    """The payee account as printed: codes with their Zengin names, the number masked."""
    bank_name, branch_name = bank_and_branch(bank or "", branch or "")
    return {"bank_code": bank or "", "branch_code": branch or "", "bank_name": bank_name,
            "branch_name": branch_name, "type": ACCOUNT_TYPES.get(account_type, account_type or ""),
            "number": mask_account(number) if number else ""}


def _csv_rows(sid: str, merchant_id: str, lines: list[dict], figures: dict,
              returns: list[dict]) -> tuple[tuple, ...]:
    rows = [(sid, merchant_id, ln["line_no"], ln["kind"], ln["kind_name"], ln["order_id"], ln["chain"],
             ln["paid_date"], ln["amount"], ln["fee"], ln["stamp"], ln["fee_month"], ln["carried_from"], None)
            for ln in lines]
    rows += [(sid, merchant_id, None, f"total_{key}", name, None, None, None, None, None, None, None, None,
              figures[key]) for key, name in TOTALS.items()]
    # returned payouts are not part of the statement's sums: their amount is in the total column
    rows += [(sid, merchant_id, None, r["kind"], f"返却分 {r['return_id']} {r['state']}", None, None, None,
              None, None, None, None, None, r["amount"]) for r in returns]
    return tuple(rows)
