"""The pull against a real OpenSSH server on 127.0.0.1 (own host key, own client key, high port)."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tasks.ingest import SourceUnreachable, pull
from tasks.sources import Source
from tests.feeds.conftest import AS_OF, SAMPLES

SSHD = Path("/usr/sbin/sshd")
pytestmark = pytest.mark.skipif(
    not SSHD.exists(), reason="/usr/sbin/sshd is absent (bootstrap.sh installs it)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@pytest.fixture
def sftp_server(tmp_path):
    """A real sshd serving SFTP on a free loopback port; yields (url root, storage options, root dir)."""
    d = tmp_path / "sshd"
    d.mkdir()
    _keygen(d / "host_key")
    _keygen(d / "client_key")
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    port = _free_port()
    user = getpass.getuser()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\nStrictModes no\n"
        f"PermitRootLogin prohibit-password\nAllowUsers {user}\n"
        "Subsystem sftp internal-sftp\nLogLevel ERROR\n"
    )
    try:
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory of sshd run as root
    except OSError:
        pass  # not root: sshd runs without privilege separation
    proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"sshd did not start: {proc.stderr.read().decode(errors='replace')}")
            time.sleep(0.05)
    host_pub = (d / "host_key.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    root = tmp_path / "remote_inbox"
    root.mkdir()
    options = {"client_keys": [str(d / "client_key")], "known_hosts": str(d / "known_hosts")}
    try:
        yield f"sftp://{user}@127.0.0.1:{port}", options, root, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def test_pull_over_sftp_ingests_and_moves_files_aside(warehouse, settings, sftp_server):
    url, options, root, _ = sftp_server
    shutil.copytree(SAMPLES / "inbox", root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("orders"))
    (root / "cvs" / "CVS_bad_name.csv").write_bytes(b"x")
    source = Source(f"{url}{root}", options)
    outcomes = pull(warehouse, AS_OF, settings, source, retry_delays=())
    assert sorted(o.state for o in outcomes) == ["accepted"] * 6 + ["rejected_name"]
    with warehouse.read() as con:
        assert con.execute("select count(*) from payment_events").fetchone() == (20,)
        assert con.execute("select source, ok from source_attempts").fetchall() == [(source.label, True)]
    assert sorted(p.name for p in (root / "sej").iterdir()) == ["processed"]
    assert (root / "cvs" / "CVS_bad_name.csv").exists()
    assert len(list((root / "famima" / "processed").iterdir())) == 2
    # the same files delivered again over SFTP are duplicates
    for p in (root / "sej" / "processed").iterdir():
        shutil.copy(p, root / "sej" / p.name)
    again = pull(warehouse, AS_OF, settings, Source(f"{url}{root}", options), retry_delays=())
    assert sorted(o.state for o in again) == ["duplicate", "duplicate", "rejected_name"]


def test_sftp_server_down_is_retried_then_reported(warehouse, settings, sftp_server):
    url, options, root, proc = sftp_server
    proc.terminate()
    proc.wait(timeout=10)
    source = Source(f"{url}{root}", {**options, "timeout": 2})
    started = time.monotonic()
    with pytest.raises(SourceUnreachable) as e:
        pull(warehouse, AS_OF, settings, source, retry_delays=(0.2, 0.2))
    assert time.monotonic() - started >= 0.4  # it did wait between attempts
    assert not e.value.alert and "127.0.0.1" in str(e.value)
    with warehouse.read() as con:
        assert con.execute("select ok from source_attempts").fetchall() == [(False,)]


def _session_children(proc) -> list[int]:
    """The sshd processes serving open connections: children of the listener we started."""
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_a_connection_dropped_mid_pull_is_reopened_or_reported(warehouse, settings, sftp_server):
    import os
    import signal

    from tasks.sources import SourceError

    url, options, root, proc = sftp_server
    shutil.copytree(SAMPLES / "inbox", root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("orders"))
    source = Source(f"{url}{root}", {**options, "timeout": 5})
    first, second, *_ = source.list().files
    sessions = _session_children(proc)
    assert sessions
    for pid in sessions:  # the connection drops after the listing, before the first read
        os.kill(pid, signal.SIGKILL)
    assert source.fetch(first) == (root / first.folder / first.name).read_bytes()  # reopened
    sessions = _session_children(proc)
    proc.terminate()  # now the server goes away for good, with the connection it serves
    proc.wait(timeout=10)
    for pid in sessions:
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(SourceError, match="does not answer|cannot connect"):
        source.fetch(second)


def test_over_sftp_links_are_rejected_and_a_stuck_move_does_not_stop_the_pull(
    warehouse, settings, sftp_server
):
    url, options, root, _ = sftp_server
    shutil.copytree(SAMPLES / "inbox", root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("orders"))
    (root / "famima" / "processed").write_bytes(b"")  # famima files cannot be moved aside
    name = sorted(p.name for p in (root / "sej").iterdir())[0]
    (root / "sej" / name).rename(root.parent / name)
    (root / "sej" / name).symlink_to(root.parent / name)  # a link with a spec name, to a real file
    outcomes = pull(warehouse, AS_OF, settings, Source(f"{url}{root}", options), retry_delays=())
    got = sorted((o.name, o.state, o.not_moved is not None) for o in outcomes)
    fm = sorted(p.name for p in (SAMPLES / "inbox" / "famima").iterdir())
    assert [g for g in got if g[1] != "accepted"] == sorted([
        (name, "rejected_entry", False), ("processed", "rejected_name", False)])
    assert [g[0] for g in got if g[2]] == fm
    assert len([g for g in got if g[1] == "accepted"]) == 5
    with warehouse.read() as con:
        failures = con.execute("select folder, action from inbox_entry_failures").fetchall()
    assert failures == [("famima", "move")] * 2
