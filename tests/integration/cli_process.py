"""Running the CLI as a real process, for tests that send it signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def start_run(results: Path, run_id: str, *args: str) -> subprocess.Popen[bytes]:
    """Start `webarena-isolation run` in a process of its own (output in results/cli.out)."""
    results.mkdir(parents=True, exist_ok=True)
    out = (results / "cli.out").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "webarena_isolation", "run", "--run-id", run_id,
         "--results-dir", str(results), "--model", "gpt-4o", *args],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "160"},
    )


def wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def run_folder(results: Path) -> Path:
    (folder,) = [p for p in results.iterdir() if p.is_dir()]
    return folder


def agent_started(results: Path, task_id: int) -> bool:
    folders = [p for p in results.iterdir() if p.is_dir()]
    return bool(folders) and (folders[0] / f"task_{task_id}" / "config.json").exists()


def interrupt(process: subprocess.Popen[bytes], times: int = 1, sig=signal.SIGINT) -> None:
    for _ in range(times):
        process.send_signal(sig)
        time.sleep(0.5)
