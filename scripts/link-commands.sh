#!/usr/bin/env bash
# Puts this checkout's `konbini` and `duckdb` (the read-only stand-in for DuckDB's shell) on the PATH
# (a link in LINK_DIR, default /usr/local/bin) unless the PATH already gives one; says what it did, and
# which one the PATH gives when that is another checkout's or another program's.
set -euo pipefail
cd "$(dirname "$0")/.."
link_dir="${LINK_DIR:-/usr/local/bin}"
for cmd in konbini duckdb; do
  ours="$(pwd)/.venv/bin/$cmd"
  found="$(command -v "$cmd" 2>/dev/null || true)"
  if [ -z "$found" ]; then
    if [ -w "$link_dir" ]; then
      ln -sf "$ours" "$link_dir/$cmd"
      echo "$cmd on the PATH: $link_dir/$cmd -> $ours"
    else
      echo "note: no \`$cmd\` on the PATH and $link_dir is not writable: run $ours"
    fi
  elif [ "$(readlink -f "$found")" != "$(readlink -f "$ours")" ]; then
    echo "note: \`$cmd\` on the PATH is $found -> $(readlink -f "$found"), not this checkout's;" \
         "left as it is: run $ours for this one"
  fi
done
