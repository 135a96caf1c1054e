"""bootstrap.sh's last step (scripts/link-commands.sh) says what it did, and says so when the PATH
already gives another checkout's `konbini` (issue 12)."""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_another_checkouts_konbini_on_the_path_is_named_and_left_alone(tmp_path):
    other = tmp_path / "other-checkout" / ".venv" / "bin"
    other.mkdir(parents=True)
    (other / "konbini").write_text("#!/bin/sh\n")
    (other / "konbini").chmod(0o755)
    links = tmp_path / "links"
    links.mkdir()
    env = {**os.environ, "PATH": f"{other}:/usr/bin:/bin", "LINK_DIR": str(links)}
    done = subprocess.run([str(REPO / "scripts" / "link-commands.sh")], env=env, capture_output=True,
                          text=True, check=True)
    assert f"`konbini` on the PATH is {other / 'konbini'}" in done.stdout
    assert "not this checkout's" in done.stdout
    assert not (links / "konbini").exists()
    assert (links / "duckdb").resolve() == (REPO / ".venv" / "bin" / "duckdb").resolve()
    assert f"duckdb on the PATH: {links / 'duckdb'}" in done.stdout
