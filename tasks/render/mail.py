"""E-mail delivery of merchants' reports over SMTP, with a delivery log (report_deliveries).

At most once per (report, recipient, round); each step is its own committed transaction:
1. `attempt` n is recorded (and committed) before the SMTP session opens;
2. the message is sent; as soon as the server accepts it, `accepted` is committed;
3. otherwise the try ends in one of
   - `failed`: nothing reached the relay's queue (connection refused, a 4xx, a timeout before the
     message went out): repeated now (short backoff) and by later runs, up to MAX_ATTEMPTS;
   - `rejected`: a 5xx to the message (sender, recipient, data): final, never repeated;
   - `unknown`: the message went out but no answer came (timeout, dropped connection): the relay
     may have accepted it, so it is never repeated by the machine.
An `attempt` without any outcome (the process died in between) is `unknown` too. A report arriving
twice is judged worse than an operator checking the relay's log and running `konbini reports
resend` (a new round; every try of a round carries the same Message-ID, so a duplicate is
recognisable downstream). Deliveries are sent in parallel, at most `smtp.connections` at once.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import duckdb

from tasks.clock import jst, naive_jst
from tasks.errors import KonbiniError
from tasks.render.smtp import SendFailure, check_smtp, send
from tasks.settings import Settings, Smtp
from tasks.warehouse import Warehouse

MAX_ATTEMPTS = 10
KIND_TITLES = {
    "collection": "収納結果",
    "statement": "入金明細書 兼 適格請求書",
    "schedule": "入金スケジュール表",
}
MAILED_KINDS = tuple(KIND_TITLES)


@dataclass(frozen=True)
class Delivery:
    report_id: str
    kind: str
    merchant_id: str
    subject: str
    recipient: str
    round: int
    attempts: int  # tries made so far in this round
    requested_by: str
    pdf_path: Path
    csv_path: Path


@dataclass(frozen=True)
class Outcome:
    report_id: str
    recipient: str
    round: int
    state: str  # accepted, failed, rejected, unknown
    attempts: int
    error: str | None = None


def message_id(report_id: str, recipient: str, round_: int) -> str:
    digest = hashlib.md5(f"{report_id}|{recipient}|{round_}".encode()).hexdigest()
    return f"<{digest}@reports.konbini>"


def build_message(d: Delivery, smtp: Smtp, company_name: str, as_of: datetime) -> EmailMessage:
    title = KIND_TITLES.get(d.kind, d.kind)
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = d.recipient
    msg["Subject"] = f"【{company_name}】{title} {d.subject} ({d.merchant_id})"
    msg["Date"] = format_datetime(jst(as_of))
    msg["Message-ID"] = message_id(d.report_id, d.recipient, d.round)
    msg.set_content(
        f"加盟店番号 {d.merchant_id} ご担当者様\n\n"
        f"{title}({d.subject})をお送りします。PDF と CSV を添付しています。\n"
        "このメールは送信専用です。\n\n"
        f"{company_name}\n"
    )
    for path, maintype, subtype in ((d.pdf_path, "application", "pdf"), (d.csv_path, "text", "csv")):
        data = path.read_bytes()
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def _log(wh: Warehouse, d: Delivery, attempt: int, event: str, as_of: datetime, detail: str | None = None,
         shas: tuple[str | None, str | None] = (None, None)) -> None:
    with wh.write() as con:
        con.execute(
            "insert into report_deliveries values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [d.report_id, d.recipient, d.round, attempt, event, naive_jst(as_of),
             message_id(d.report_id, d.recipient, d.round), shas[0], shas[1], detail, d.requested_by],
        )


def deliver(wh: Warehouse, d: Delivery, settings: Settings, as_of: datetime, *, tries: int = 3,
            backoff_s: float = 2.0) -> Outcome:
    """Send one delivery, logging every step; up to `tries` tries now (never past MAX_ATTEMPTS).
    Only a `failed` try is repeated: `rejected` and `unknown` end the round (at most once)."""
    check_smtp(settings.smtp)
    attempt = d.attempts
    missing = [str(p) for p in (d.pdf_path, d.csv_path) if not p.is_file()]
    if missing:  # nothing was tried: not logged; render the report again and the next run sends it
        return Outcome(d.report_id, d.recipient, d.round, "failed", attempt, f"missing {', '.join(missing)}")
    error = None
    for i in range(tries):
        if attempt >= MAX_ATTEMPTS:
            break
        attempt += 1
        msg = build_message(d, settings.smtp, settings.company_name, as_of)
        shas = (hashlib.sha256(d.pdf_path.read_bytes()).hexdigest(),
                hashlib.sha256(d.csv_path.read_bytes()).hexdigest())
        _log(wh, d, attempt, "attempt", as_of, shas=shas)
        try:
            send(msg, settings.smtp)
        except SendFailure as f:
            _log(wh, d, attempt, f.state, as_of, detail=f.detail)
            if f.state != "failed" or not f.retry_now:
                return Outcome(d.report_id, d.recipient, d.round, f.state, attempt, f.detail)
            error = f.detail
            if i + 1 < tries:
                time.sleep(backoff_s * (2**i))
            continue
        _log(wh, d, attempt, "accepted", as_of)
        return Outcome(d.report_id, d.recipient, d.round, "accepted", attempt)
    return Outcome(d.report_id, d.recipient, d.round, "failed", attempt, error)


def deliver_many(wh: Warehouse, due: list[Delivery], settings: Settings, as_of: datetime, *,
                 tries: int = 3, backoff_s: float = 2.0) -> list[Outcome]:
    """Every delivery, at most `smtp.connections` at once (threads: the work is waiting on the relay;
    each log write takes the warehouse lock on its own). Outcomes in the order of `due`."""
    check_smtp(settings.smtp)
    if not due:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(settings.smtp.connections, len(due)))) as pool:
        futures = [pool.submit(deliver, wh, d, settings, as_of, tries=tries, backoff_s=backoff_s)
                   for d in due]
        return [f.result() for f in futures]


# --- which deliveries are due --------------------------------------------------------------------

_DUE = f"""
with wanted as (
    -- round 0 of every merchant report to the merchant's current address
    select o.report_id, o.kind, o.merchant_id, o.subject, m.email as recipient, 0 as round,
           'schedule' as requested_by, o.pdf_path, o.csv_path
    from report_outputs o join current_merchants m using (merchant_id)
    where o.kind in {MAILED_KINDS!r} and coalesce(m.email, '') <> ''
      -- once a report has a round 0 it is not mailed again by itself (not even to a changed address)
      and not exists (select 1 from report_deliveries d where d.report_id = o.report_id and d.round = 0)
    union
    -- every round opened by a resend (its first row is an attempt)
    select o.report_id, o.kind, o.merchant_id, o.subject, d.recipient, d.round,
           any_value(d.requested_by), o.pdf_path, o.csv_path
    from report_deliveries d join report_outputs o using (report_id)
    group by all
)
select w.*, coalesce(v.attempts, 0) as attempts
from wanted w
left join v_report_deliveries v using (report_id, recipient, round)
where v.state is null
   or (v.state = 'failed' and v.attempts < {MAX_ATTEMPTS})
order by w.report_id, w.recipient, w.round
"""


def due_deliveries(con: duckdb.DuckDBPyConnection, out_root: Path) -> list[Delivery]:
    rows = con.execute(_DUE).fetchall()
    return [
        Delivery(report_id=r[0], kind=r[1], merchant_id=r[2], subject=r[3], recipient=r[4], round=r[5],
                 requested_by=r[6], pdf_path=out_root / r[7], csv_path=out_root / r[8], attempts=r[9])
        for r in rows
    ]


def open_resend(wh: Warehouse, out_root: Path, report_id: str, requested_by: str,
                recipient: str | None = None) -> Delivery:
    """An operator's resend: a new round for the report (to the merchant's address by default)."""
    with wh.read() as con:
        row = con.execute(
            """select o.report_id, o.kind, o.merchant_id, o.subject, o.pdf_path, o.csv_path, m.email
               from report_outputs o left join current_merchants m using (merchant_id)
               where o.report_id = ?""",
            [report_id],
        ).fetchone()
        if row is None:
            raise KonbiniError(f"report {report_id!r} has not been rendered (see `konbini reports list`)")
        if row[1] not in MAILED_KINDS:
            raise KonbiniError(f"report {report_id!r} is a {row[1]} report, which is not mailed to merchants")
        to = recipient or row[6]
        if not to:
            raise KonbiniError(f"merchant {row[2]} has no e-mail address in the master data")
        (last,) = con.execute(
            "select coalesce(max(round), 0) from report_deliveries where report_id = ? and recipient = ?",
            [report_id, to],
        ).fetchone()
    return Delivery(report_id=row[0], kind=row[1], merchant_id=row[2], subject=row[3], recipient=to,
                    round=last + 1, attempts=0, requested_by=requested_by,
                    pdf_path=out_root / row[4], csv_path=out_root / row[5])
