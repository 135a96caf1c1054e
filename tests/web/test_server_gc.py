"""The served app freezes the objects of its start (imports, the app) out of the garbage collector
before the first request, so that a full collection does not scan them again with the GIL held (the
order API's p99 stall, docs/benchmarks.md). In a process of its own: the test's process has its own
history of collections."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SERVE = """
import gc, socket, threading, time, httpx, uvicorn
from tasks.settings import Settings
from web.app import create_app
before = gc.get_freeze_count()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
server = uvicorn.Server(uvicorn.Config(create_app(Settings(data_dir=DATA)), host="127.0.0.1", port=port,
                                       log_level="warning"))
thread = threading.Thread(target=server.run, daemon=True)
thread.start()
while not server.started:
    time.sleep(0.02)
status = httpx.get(f"http://127.0.0.1:{port}/login").status_code
print(before, gc.get_freeze_count(), status)
server.should_exit = True
thread.join(30)  # a daemon thread still serving while the interpreter ends may crash it
"""


def test_the_served_app_has_frozen_its_startup_objects(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", f"DATA = {str(tmp_path)!r}\n" + SERVE], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    before, after, status = (int(x) for x in done.stdout.split())
    assert before == 0 and status == 200
    assert after > 50_000  # the imports and the app (about 200,000 objects): a full collection skips them
