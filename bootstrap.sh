#!/usr/bin/env bash
# Sets up everything konbini needs on a Debian 12 machine (as root): Debian libraries for
# WeasyPrint, a Japanese font, poppler (pdftotext/pdffonts, for tests), OpenSSH (SFTP tests),
# and a virtual env in .venv with the project and its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive

pkgs=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-ipaexfont
      poppler-utils openssh-server openssh-client chromium)
# Python itself only when the machine has no python3 able to make a virtual env (it may come from
# elsewhere, e.g. pyenv).
if ! { command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
  pkgs+=(python3 python3-venv python3-pip)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[dev]'
scripts/link-commands.sh
echo "konbini is installed in $(pwd)/.venv"
