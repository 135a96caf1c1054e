"""Command modules of the CLI, one per area; each has `register(app)`. Add yours to the list."""

from flows.commands import (  # treasury: money out
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
)

COMMAND_MODULES = [master, feeds, simulate, reconcile, settle, reports, notify, demo, service, backup]
COMMAND_MODULES += [payouts, refunds, receivables]
