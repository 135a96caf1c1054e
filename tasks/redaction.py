"""What the analysts' copy (analytics.duckdb) holds instead of a warehouse table: no customer's
personal data, no file bytes holding it, no merchant's secret (docs/warehouse.md).

    analysts_select(db, table) -> str   # the SELECT that fills the copy's table
"""

from __future__ import annotations

# a transfer some rule recognised (a chain, a returned payout, a receivable): its remitter is a company
_RECOGNISED = ("case when transfer_id in (select transfer_id from {db}.main.bank_transfer_matches"
               " where matched_to <> 'unknown') then")

REDACTED: dict[str, str] = {
    "order_customers": "select * from {db}.main.{t} limit 0",  # personal data: the table stays, empty
    "inbound_files": "select * replace (cast('' as blob) as content) from {db}.main.{t}",
    "merchants": "select * replace (cast(null as varchar) as notify_secret) from {db}.main.{t}",
    # a remitter no rule recognised may be a person: name and EDI kept only for recognised transfers
    "bank_records": "select * replace ({recognised} edi else '' end as edi,"
                    " {recognised} remitter_name else '' end as remitter_name) from {db}.main.{t}",
    "exceptions": "select * replace (case when code = 'UNKNOWN_REMITTER'"
                  " then regexp_extract(detail, '照会番号 .*$') else detail end as detail)"
                  " from {db}.main.{t}",
    # a refunded customer's bank account and name are personal data (treasury.md)
    "refund_payments": "select * replace ('' as bank_code, '' as branch_code, '' as account_type,"
                       " '' as account_number, '' as holder_name) from {db}.main.{t}",
    "refund_files": "select * replace (cast('' as blob) as content) from {db}.main.{t}",
    # not personal, but internal: the reconciliation's index, ~1.6 rows an order, nothing to analyse
    "reconcile_key_index": "select * from {db}.main.{t} limit 0",
}


def analysts_select(db: str, table: str) -> str:
    """The SELECT over warehouse `db` that fills `table` of the analysts' copy."""
    select = REDACTED.get(table, "select * from {db}.main.{t}")
    return select.format(db=db, t=table, recognised=_RECOGNISED.format(db=db))
