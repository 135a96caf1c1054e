"""Command modules of the CLI; each has `register(app)`. Add yours to the list."""

from importlib import import_module

_NAMES = ["master", "feeds", "simulate", "reconcile", "settle", "reports", "notify", "demo", "service",
          "backup"]
COMMAND_MODULES = []
for _name in _NAMES:
    try:
        COMMAND_MODULES.append(import_module(f"flows.commands.{_name}"))
    except ModuleNotFoundError as e:  # an area not built yet
        if e.name != f"flows.commands.{_name}":
            raise
