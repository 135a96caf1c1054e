"""Publishing the analysts' copy once for many writing flows (the demo's replay).

Every writing flow publishes `analytics.duckdb` (`Warehouse.publish`, a rebuild of the whole copy).
Inside `deferred(warehouse)`, its publishes in this process are only noted; the copy is published
once on leaving, if any was asked for (not after an error: then it stays as it was). For a replay
that nothing reads the copy during: the demo's ~190 rebuilds were a tenth of its time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_DEFERRED: dict[Path, bool] = {}  # warehouses (resolved paths) whose publishing is deferred -> asked for


@contextmanager
def deferred(warehouse: Any) -> Iterator[None]:
    """While inside, `warehouse.publish()` only notes that the copy is due; published once on leaving."""
    _DEFERRED[key := Path(warehouse.path).resolve()] = False
    try:
        yield
    finally:
        due = _DEFERRED.pop(key)
    if due:
        warehouse.publish()


def note(path: Path) -> bool:
    """Whether publishing the warehouse at `path` is deferred now (the request is then noted)."""
    key = Path(path).resolve()
    if key in _DEFERRED:
        _DEFERRED[key] = True
        return True
    return False
