"""Operators' decisions taken on the web: the same facts as on the command line.

Resolving an exception is `tasks.reconcile.resolutions.resolve` in one unit of work of the
warehouse's single writer (as `konbini exceptions resolve`), then a publish so every page shows it.
"""

from __future__ import annotations

from datetime import datetime

from tasks.lookups import require_exception
from tasks.reconcile.resolutions import Resolution, resolve
from tasks.warehouse import Warehouse


def resolve_exception(warehouse: Warehouse, exception_id: str, action: str, note: str, by: str,
                      at: datetime) -> Resolution:
    """Resolve (or refuse with KonbiniError, nothing changed) and publish."""
    with warehouse.write() as con:
        require_exception(con, exception_id, "exception")
        r = resolve(con, exception_id, action, note, by, at)
    warehouse.publish()
    return r
