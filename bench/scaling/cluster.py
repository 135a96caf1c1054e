"""Prefect on PostgreSQL with process workers, on this machine, for the test and the benchmark.

docs/scaling.md, step 1, started for real on 127.0.0.1 and stopped without leftovers:
- `Postgres`: a throw-away cluster (Debian's `postgresql` package: `initdb`, `pg_ctl` from
  /usr/lib/postgresql/<version>/bin) in a temporary folder, listening on 127.0.0.1 only. PostgreSQL
  refuses to run as root, and CI runs as root: then the cluster is made and run as `nobody` (any
  machine has it) through `runuser`, in a folder that `nobody` owns. Trust authentication on
  loopback: nothing else can reach it, and it lives as long as the test.
- `start_server`: `prefect server start` on that database (PREFECT_API_DATABASE_CONNECTION_URL).
- `start_worker`: `prefect worker start --pool NAME`, a process worker in its own process group.
- `kill_machine`: a worker and its flow runs killed as a machine that dies.
Every process is started in its own session and stopped by `stop()` (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.service.prefect_api import api  # noqa: F401  (the Prefect REST calls, shared)

BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
KONBINI = str(BIN / "konbini")
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group we started, then SIGKILL what is left."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children first found), read from /proc: the flow runs a worker
    started sit in sessions of their own, out of reach of a signal to the worker's group."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_machine(proc: subprocess.Popen, also: set[int] = frozenset()) -> None:
    """SIGKILL a worker, every process below it and their process groups (and the processes
    `also`, with theirs), as a machine that dies.

    Everything is stopped (SIGSTOP) first, until no new process appears, so that none is missed by
    being started, or handed to init by a parent that exits, between the look and the kill."""
    groups = {proc.pid}
    os.killpg(proc.pid, signal.SIGSTOP)
    stopped: set[int] = set()
    while new := (set(descendants(proc.pid)) | set(also) | _members(groups)) - stopped:
        for pid in new:
            _signal(pid, signal.SIGSTOP)
            try:
                groups.add(os.getpgid(pid))
            except ProcessLookupError:
                pass
        stopped |= new
    for group in groups:
        _signal(-group, signal.SIGKILL)
    for pid in stopped:
        _signal(pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in stopped):  # a signal is sent at once, a process ends a moment later
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes {sorted(stopped)} survived SIGKILL")
        time.sleep(0.01)


def _members(groups: set[int]) -> set[int]:
    """The processes of these process groups now."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) in groups:
                found.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    """Not yet gone: a thread of it still runs. A zombie whose threads have all ended has closed its
    files and released its locks (the leader of a killed process can be a zombie while its other
    threads are still ending, holding its files)."""
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                return True
        except (OSError, IndexError):
            continue
    return False


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL's bin folder (initdb is not on the PATH there); else the PATH's."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    if found:
        return found[-1].parent
    if initdb := shutil.which("initdb"):
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql; bootstrap.sh does)")


class Postgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (see the module's docstring)."""

    user = "prefect"

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="konbini-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:  # postgres will not run as root: the cluster belongs to nobody
            shutil.chown(self.root, "nobody", "nogroup")

    def url(self, database: str = "prefect") -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        done = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")

    def start(self) -> Postgres:
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        # Loopback only, no Unix socket (Debian's default folder is not ours to write).
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "postgres.log"), "-o", options,
                  "-w", "-t", "120", "start", timeout=180)
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "prefect")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Postgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def server_env(home: Path, database_url: str) -> dict[str, str]:
    env = {**os.environ, **QUIET, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false",
           "PREFECT_API_DATABASE_CONNECTION_URL": database_url,
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"}  # scheduled runs created promptly
    env.pop("PREFECT_API_URL", None)
    return env


def start_server(home: Path, database_url: str, timeout: float = 180) -> tuple[subprocess.Popen, str, float]:
    """`prefect server start` on PostgreSQL, a free port; (process, API URL, seconds to healthy)."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    t0 = time.monotonic()
    proc = spawn([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                 server_env(home, database_url), home / "server.log")
    url = f"http://127.0.0.1:{port}/api"
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url, time.monotonic() - t0
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() - t0 > timeout:
            stop(proc)
            raise RuntimeError(f"prefect server did not start: {(home / 'server.log').read_text()[-3000:]}")
        time.sleep(0.2)


def client_env(url: str, home: Path, data_dir: Path | None = None) -> dict[str, str]:
    """Environment of the `prefect` / `konbini` clients and the workers: this API, this data folder."""
    env = {**os.environ, **QUIET, "PREFECT_API_URL": url, "PREFECT_HOME": str(home),
           "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1"}
    for var in ("KONBINI_INBOX", "KONBINI_WAREHOUSE", "KONBINI_CONFIG",
                "PREFECT_API_DATABASE_CONNECTION_URL"):
        env.pop(var, None)
    if data_dir is not None:
        env["KONBINI_DATA_DIR"] = str(data_dir)
    return env


def prefect(env: dict[str, str], *args: str) -> str:
    """A `prefect` CLI command (as an operator types it); its output, or an error with it."""
    done = subprocess.run([PREFECT, *args], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise RuntimeError(f"prefect {' '.join(args)} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def start_worker(env: dict[str, str], pool: str, name: str, log: Path, limit: int | None = None
                 ) -> subprocess.Popen:
    """`prefect worker start --pool POOL`; `limit`: at most that many flow runs at once (the worker's
    own limiter, strict: the pool's limit is only checked when workers poll, docs/scaling.md)."""
    args = [PREFECT, "worker", "start", "--pool", pool, "--name", name, "--type", "process"]
    return spawn(args + (["--limit", str(limit)] if limit else []), env, log)


def until(cond, timeout: float = 300) -> float:
    """Seconds until `cond()` is true (polled every 50 ms); TimeoutError past `timeout`."""
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("gave up waiting")
        time.sleep(0.05)
    return time.monotonic() - t0


def wait_final(url: str, run_id: str, timeout: float = 300) -> dict:
    """The flow run once it reached a final state."""
    deadline = time.monotonic() + timeout
    while True:
        run = api(url, "GET", f"/flow_runs/{run_id}")
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"flow run {run_id} not finished after {timeout} s: {run['state']}")
        time.sleep(0.3)
