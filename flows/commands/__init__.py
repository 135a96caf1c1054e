"""Command modules of the CLI, one per area; each has `register(app)`. Add yours to the list."""

from flows.commands import api_keys as order_api_keys
from flows.commands import backup, demo, feeds, master, notify, reconcile, reports, service, settle, simulate

COMMAND_MODULES = [master, feeds, simulate, reconcile, settle, reports, notify, demo, service, backup]
COMMAND_MODULES.append(order_api_keys)  # the order API's keys (tasks/api_orders)
