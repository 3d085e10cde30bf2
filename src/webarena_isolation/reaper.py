"""The watchdog that removes a run's leftovers when the run dies.

In the manner of testcontainers' Ryuk, but as a sidecar process: the run starts
``python -m webarena_isolation.reaper RUN_ID`` in a session of its own with a pipe on its
stdin and keeps the write end open for its whole life. When the pipe reaches end-of-file —
the run exited, crashed, or was killed with SIGKILL — the watchdog removes every container,
network and private folder labelled with the run id, sweeping until two passes find nothing
(an engine call still in flight when the run died may create one more container).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from typing import IO

import docker.errors
import requests

from webarena_isolation import engine
from webarena_isolation.cleanup import remove_leftovers
from webarena_isolation.errors import EngineError

logger = logging.getLogger(__name__)

SWEEP_PAUSE_S = 1.0
MAX_SWEEPS = 10
ENGINE_WAIT_S = 120.0


class Watchdog:
    """The run's end of the pipe: while this object lives, the reaper waits."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webarena_isolation.reaper", run_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to the run's process group must not reach it
            close_fds=True,
        )
        self._pipe: IO[bytes] | None = self.process.stdin
        logger.debug("reaper %s watches run %s", self.process.pid, run_id)

    def release(self, *, wait_s: float = 30.0) -> None:
        """Close our end; the reaper sweeps once and exits. Waits up to ``wait_s``."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        try:
            self.process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            logger.warning("reaper for run %s still sweeping after %.0f s", self.run_id, wait_s)


def sweep_until_clean(run_id: str, *, engine_wait_s: float = ENGINE_WAIT_S) -> int:
    """Remove the run's leftovers until two sweeps in a row find nothing; returns the count.

    An engine that is down (restarting) is waited for up to ``engine_wait_s``.
    """
    deadline = time.monotonic() + engine_wait_s
    while True:
        try:
            client = engine.connect(timeout=30)
            break
        except EngineError:
            if time.monotonic() > deadline:
                logger.warning("engine down for %.0f s; run %s not swept", engine_wait_s, run_id)
                return 0
            time.sleep(1.0)
    removed = 0
    quiet = 0
    for _ in range(MAX_SWEEPS):
        try:
            found = remove_leftovers(client, run_id).total
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            logger.warning("sweep of run %s failed: %s", run_id, exc)
            found = 1  # not quiet: try again
        removed += found
        quiet = quiet + 1 if found == 0 else 0
        if quiet >= 2:
            break
        time.sleep(SWEEP_PAUSE_S)
    return removed


def main(argv: list[str]) -> int:
    """Wait for end-of-file on stdin, then sweep the run named in ``argv[0]``."""
    if len(argv) != 1:
        print("usage: python -m webarena_isolation.reaper RUN_ID", file=sys.stderr)
        return 2
    run_id = argv[0]
    # Blocks until the run closes the pipe or dies.
    while os.read(sys.stdin.fileno(), 4096):
        pass
    sweep_until_clean(run_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
