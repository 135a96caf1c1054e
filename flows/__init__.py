"""Prefect flows and the `konbini` CLI. Flows only wire tasks.

Prefect runs without a server by default (a temporary one per process); these two settings keep
it quiet and stop a "database is locked" traceback on every run.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The temporary server needs more than the default 20 s to start on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
