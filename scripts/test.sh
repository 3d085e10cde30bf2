#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite against the real engine and Chromium.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "setup failed" >&2; exit 1; }
# The suite may restart the local dockerd (one fault test does): this command opts in.
WAI_ALLOW_DAEMON_RESTART=1 .venv/bin/python -m pytest -ra "$@"
status=$?
if [ "$status" -eq 5 ]; then
  # pytest's 5 means nothing was collected: for this suite that is a failure, not a pass.
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
