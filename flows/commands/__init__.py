"""Command modules of the CLI, one per area; each has `register(app)`. Add yours to the list."""

from flows.commands import (
    backup,
    demo,
    feeds,
    master,
    notify,
    reconcile,
    reports,
    service,
    settle,
    simulate,
    users,
    web,
)

COMMAND_MODULES = [master, feeds, simulate, reconcile, settle, reports, notify, demo, service, backup,
                   users, web]
