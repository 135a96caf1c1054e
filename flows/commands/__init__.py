"""Command modules of the CLI, one per area; each has `register(app)`. Add yours to the list."""

from flows.commands import (
    api_keys,
    backup,
    demo,
    feeds,
    master,
    notify,
    payouts,
    receivables,
    reconcile,
    refunds,
    reports,
    service,
    settle,
    simulate,
    users,
    web,
)

COMMAND_MODULES = [
    master, feeds, simulate, reconcile, settle, reports, notify, demo, service, backup,
    payouts, refunds, receivables,  # treasury: money out
    api_keys,  # the order API's keys (tasks/api_orders)
    users, web,  # the web application (web/)
]
