#!/usr/bin/env bash
# Prepare this machine for webarena-isolation: a virtualenv with the package, then the
# Docker engine, Chromium and the local images (installed/started/built only when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,ray]"
.venv/bin/webarena-isolation setup
