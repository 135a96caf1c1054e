"""The summary of a reconciliation run for operators (the flow's Prefect artifact, the CLI)."""

from __future__ import annotations

from tasks.reconcile.rules import CODES
from tasks.reconcile.run import READ_ONLY, ReconcileResult

STATUSES = ("awaiting_payment", "paid", "confirmed", "settled", "cancelled", "expired")


def summary_markdown(r: ReconcileResult) -> str:
    lines = [
        f"# Reconciliation as of {r.as_of:%Y-%m-%d %H:%M} JST (run {r.run_id}, {r.scope})",
        "",
        f"Recomputed: {r.orders} orders, {r.payments} payments, {r.exceptions} exceptions. "
        f"Notifications enqueued: {r.notifications}. Seconds: "
        + ", ".join(f"{k} {v}" for k, v in r.seconds.items()) + ".",
        "",
        "## Orders by status",
        "",
        "| status | orders |",
        "| --- | ---: |",
        *[f"| {s} | {r.status_counts.get(s, 0)} |" for s in STATUSES],
        "",
        "## Exceptions by code",
        "",
        "| code | raised | cleared | open |",
        "| --- | ---: | ---: | ---: |",
    ]
    for code in CODES:
        lines.append(f"| {code} | {r.raised.get(code, 0)} | {r.cleared.get(code, 0)} "
                     f"| {r.open_by_code.get(code, 0)} |")
    lines += ["", "Raised and cleared: in this run's window (since the previous run, or --since)."]
    if r.scope == READ_ONLY:
        lines[1:1] = ["", "What was known then, read-only: the warehouse is already reconciled as of a later"
                          " time and its derived state never moves back; nothing was replaced."]
    return "\n".join(lines) + "\n"
