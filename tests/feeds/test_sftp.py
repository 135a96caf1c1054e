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
