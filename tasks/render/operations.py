"""Operations summary per day (for our operators, not merchants): orders by status, open
exceptions by code and age, quarantined files, sequence gaps, notification failures, and money out
waiting (returned payouts, refunds owed, receivables).

The day D's summary is the state at D+1 00:00 JST (`as_of`): the derived tables as reconciliation
last computed them, ages counted from `as_of`. It is written to data/out/reports/_operations/ and
also published as a Prefect markdown artifact (the `markdown` of the job).
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from tasks.clock import naive_jst
from tasks.render.csvout import Column
from tasks.render.jobs import ReportJob
from tasks.settings import Settings

STATUSES = ("awaiting_payment", "paid", "confirmed", "settled", "cancelled", "expired")
AGE_BUCKETS = (("0-1日", 0, 1), ("2-3日", 2, 3), ("4-7日", 4, 7), ("8日以上", 8, 10**6))
CSV_COLUMNS = (
    Column("section", "区分"),
    Column("key", "項目"),
    Column("detail", "詳細"),
    Column("count", "件数"),
    Column("amount", "金額"),
)


def _rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def gather(con: duckdb.DuckDBPyConnection, day: date, settings: Settings, as_of: datetime) -> ReportJob:
    at = naive_jst(as_of)
    day_label = f"{day:%Y-%m-%d}"
    context = {
        "title": "運用サマリー", "company_name": settings.company_name, "day_label": day_label,
        "as_of_label": f"{at:%Y-%m-%d %H:%M}", "statuses": _statuses(con), "exceptions": _exceptions(con, at),
        "bucket_names": [b[0] for b in AGE_BUCKETS], "quarantined": _quarantined(con, at),
        "gaps": _gaps(con, at), "notify": _notification_failures(con), "treasury": _treasury(con, at),
    }
    return ReportJob(kind="operations", merchant_id=None, subject=day_label, template="operations.html.j2",
                     context=context, csv_columns=CSV_COLUMNS, csv_rows=_csv_rows(context), as_of=as_of,
                     title=f"運用サマリー {day_label}", markdown=markdown(context))


def _statuses(con) -> list[dict]:
    by_status = dict(_rows(con, "select status, count(*) from v_order_status group by status"))
    others = sorted(s for s in by_status if s not in STATUSES)
    return [{"status": s, "count": int(by_status.get(s, 0))} for s in (*STATUSES, *others)]


def _exceptions(con, at: datetime) -> list[dict]:
    """Open exceptions per code: count, amount, ages (calendar days) by bucket, the oldest."""
    exc = _rows(con, """
        select code, date_diff('day', raised_at, $at) as age, amount, merchant_id, order_id, id, raised_at
        from v_open_exceptions order by code, raised_at, id""", {"at": at})
    exceptions = []
    for code in sorted({r[0] for r in exc}):
        ages = [r[1] for r in exc if r[0] == code]
        exceptions.append({
            "code": code,
            "count": len(ages),
            "amount": sum(int(r[2] or 0) for r in exc if r[0] == code),
            "buckets": [sum(1 for a in ages if lo <= a <= hi) for _, lo, hi in AGE_BUCKETS],
            "oldest": max(ages),
        })
    return exceptions


def _quarantined(con, at: datetime) -> list[dict]:
    """Quarantined files with their reason count, first reason, and whether the same kind and
    number was accepted later (re-sent)."""
    return [
        {"file_id": fid, "folder": folder, "name": name, "received_at": received, "reasons": int(n),
         "first_reason": reason or "", "corrected": bool(corrected)}
        for fid, folder, name, received, n, reason, corrected in _rows(con, """
            select f.file_id, f.folder, f.name, f.received_at,
                   (select count(*) from rejections r where r.file_id = f.file_id),
                   (select arg_min(r.reason, coalesce(r.line_no, 0)) from rejections r
                    where r.file_id = f.file_id),
                   exists (select 1 from inbound_files a where a.state = 'accepted' and a.kind = f.kind
                           and a.sequence_no = f.sequence_no and a.kind not in ('ORDERS', 'ORDER_CANCELS'))
            from inbound_files f where f.state = 'quarantined' and f.received_at < $at
            order by f.received_at, f.file_id""", {"at": at})
    ]


def _gaps(con, at: datetime) -> list[dict]:
    return [
        {"kind": k, "sequence_no": int(n), "raised_at": r, "age": int(a)}
        for k, n, r, a in _rows(con, """
            select sequence_kind, sequence_no, raised_at, date_diff('day', raised_at, $at)
            from v_open_exceptions where code = 'FILE_SEQUENCE_GAP' order by sequence_kind, sequence_no""",
            {"at": at})
    ]


def _notification_failures(con) -> list[dict]:
    return [
        {"merchant_id": m, "state": s, "count": int(n), "last_error": e or ""}
        for m, s, n, e in _rows(con, """
            select merchant_id, case when state = 'dead' then 'dead' else 'retrying' end as st, count(*),
                   arg_max(last_error, next_attempt_at)
            from notification_outbox
            where state = 'dead' or (state = 'pending' and attempts > 0)
            group by merchant_id, st order by merchant_id, st""")
    ]


# Money out waiting at `at` (treasury.md): returned payouts not paid again, refunds owed to customers
# not instructed, receivables not paid. Ids and amounts only: no customer's bank details.
TREASURY = {
    "returned_payout": """
        select r.return_id, r.merchant_id, r.amount, r.decided_at from returned_payouts r
        where r.decided_at < $at and not exists (
            select 1 from payout_repayments p join settlement_runs s using (run_id)
            where p.return_id = r.return_id and s.as_of < $at)
        order by r.decided_at, r.return_id""",
    "refund_owed": """
        select r.exception_id, e.merchant_id, e.amount, r.resolved_at
        from exception_resolutions r join exceptions e using (exception_id)
        where r.action = 'refund' and r.resolved_at < $at and not exists (
            select 1 from refund_payments f where f.exception_id = r.exception_id and f.decided_at < $at)
        order by r.resolved_at, r.exception_id""",
    "receivable": """
        select r.receivable_id, r.merchant_id, r.amount, r.raised_at from receivables r
        where r.raised_at < $at and not exists (
            select 1 from receivable_payments p
            where p.receivable_id = r.receivable_id and p.decided_at < $at)
        order by r.raised_at, r.receivable_id""",
}


def _treasury(con, at: datetime) -> dict[str, list[dict]]:
    return {
        section: [{"id": i, "merchant_id": m or "", "amount": int(a), "since": t}
                  for i, m, a, t in _rows(con, sql, {"at": at})]
        for section, sql in TREASURY.items()
    }


TREASURY_TITLES = {"returned_payout": "Returned payouts waiting", "refund_owed": "Refunds owed to customers",
                   "receivable": "Receivables (owed to us)"}


def _csv_rows(c: dict) -> tuple[tuple, ...]:
    rows: list[tuple] = [("order_status", s["status"], None, s["count"], None) for s in c["statuses"]]
    rows += [("open_exception", e["code"], f"oldest {e['oldest']} days", e["count"], e["amount"])
             for e in c["exceptions"]]
    rows += [("quarantined_file", f"{q['folder']}/{q['name']}", q["first_reason"], q["reasons"], None)
             for q in c["quarantined"]]
    rows += [("sequence_gap", g["kind"], f"missing {g['sequence_no']:06d}", 1, None) for g in c["gaps"]]
    rows += [("notification_failure", n["merchant_id"], n["state"], n["count"], None) for n in c["notify"]]
    rows += [(section, x["id"], x["merchant_id"], 1, x["amount"])
             for section, items in c["treasury"].items() for x in items]
    return tuple(rows)


def markdown(c: dict) -> str:
    """The same summary as a Prefect markdown artifact."""
    out = [f"# Operations summary {c['day_label']} (as of {c['as_of_label']} JST)", "",
           "## Orders by status", "", "| status | orders |", "| --- | ---: |"]
    out += [f"| {s['status']} | {s['count']} |" for s in c["statuses"]]
    out += ["", "## Open exceptions", ""]
    if c["exceptions"]:
        out += ["| code | open | " + " | ".join(c["bucket_names"]) + " | oldest (days) | amount |",
                "| --- | ---: |" + " ---: |" * len(c["bucket_names"]) + " ---: | ---: |"]
        out += [f"| {e['code']} | {e['count']} | " + " | ".join(str(b) for b in e["buckets"])
                + f" | {e['oldest']} | {e['amount']:,} |" for e in c["exceptions"]]
    else:
        out.append("None.")
    out += ["", f"## Quarantined files ({len(c['quarantined'])})", ""]
    out += [f"- {q['folder']}/{q['name']} ({q['reasons']} reasons{', corrected' if q['corrected'] else ''}):"
            f" {q['first_reason']}" for q in c["quarantined"]] or ["None."]
    out += ["", f"## Sequence gaps ({len(c['gaps'])})", ""]
    out += [f"- {g['kind']} {g['sequence_no']:06d} missing for {g['age']} days"
            for g in c["gaps"]] or ["None."]
    out += ["", "## Notification failures", ""]
    out += [f"- {n['merchant_id']}: {n['count']} {n['state']} ({n['last_error']})"
            for n in c["notify"]] or ["None."]
    for section, title in TREASURY_TITLES.items():
        items = c["treasury"][section]
        out += ["", f"## {title} ({len(items)}, {sum(x['amount'] for x in items):,} yen)", ""]
        out += [f"- {x['id']} {x['merchant_id']}: {x['amount']:,} yen since {x['since']:%Y-%m-%d %H:%M}"
                for x in items] or ["None."]
    return "\n".join(out) + "\n"
