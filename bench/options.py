"""The command line of a benchmark whose options are plain values: `--some-name VALUE` for each
`some_name=default`, typed like its default (`python -m bench.x --help` lists them)."""

from __future__ import annotations

import argparse


def options(**defaults: int | float | str) -> argparse.Namespace:
    """Parse the command line: one option per keyword, its default and type those of the value."""
    ap = argparse.ArgumentParser()
    for name, default in defaults.items():
        ap.add_argument("--" + name.replace("_", "-"), type=type(default), default=default)
    return ap.parse_args()
