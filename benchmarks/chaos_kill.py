"""Chaos: start runs and SIGKILL each at a random moment; count what is left after 10 s.

Each run is a real `webarena-isolation run` process (two tasks, two workers, a short agent).
It is killed after a random delay, so the kill lands during start, ready wait, login, agent
or teardown. Then the script polls for up to 10 s until no container, network or private
folder labelled with that run's id remains, and prints one JSON line per run and a total.

    .venv/bin/python benchmarks/chaos_kill.py --runs 20
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from webarena_isolation import engine
from webarena_isolation.environment import work_root

GRACE_S = 10.0


def leftovers(client, run_id: str) -> dict[str, int]:
    label = {"label": [f"{engine.LABEL_RUN}={run_id}"]}
    return {
        "containers": len(client.api.containers(all=True, filters=label)),
        "networks": len(client.networks.list(filters=label)),
        "folders": int((work_root() / run_id).exists()),
    }


def last_phase(results: Path) -> str:
    logs = list(results.glob("*/run.log"))
    if not logs:
        return "before-run-folder"
    lines = [line for line in logs[0].read_text(errors="replace").splitlines() if line]
    return lines[-1].split(": ", 1)[-1][:80] if lines else "run-folder-made"


def one_run(client, index: int, kill_after_s: float, root: Path) -> dict[str, object]:
    run_id = f"chaos{os.getpid() % 10000}x{index}"
    results = root / run_id
    results.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "webarena_isolation", "run", "--run-id", run_id,
         "--tasks", "78-79", "--max-workers", "2", "--model", "gpt-4o",
         "--agent-cmd", "sleep 2", "--results-dir", str(results)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    time.sleep(kill_after_s)
    exited_first = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    phase = "exited before kill" if exited_first else last_phase(results)
    killed_at = time.monotonic()
    left = leftovers(client, run_id)
    while sum(left.values()) and time.monotonic() - killed_at < GRACE_S:
        time.sleep(0.25)
        left = leftovers(client, run_id)
    return {
        "run": index,
        "run_id": run_id,
        "kill_after_s": round(kill_after_s, 2),
        "phase_at_kill": phase,
        "clean_after_s": round(time.monotonic() - killed_at, 2),
        "left_after_10s": left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--max-delay", type=float, default=14.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    client = engine.connect()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.runs):
            row = one_run(client, index, rng.uniform(0.3, args.max_delay), Path(folder))
            rows.append(row)
            print(json.dumps(row), flush=True)
    dirty = [r for r in rows if sum(r["left_after_10s"].values())]  # type: ignore[union-attr]
    print(json.dumps({
        "benchmark": "chaos_kill",
        "runs": len(rows),
        "runs_with_leftovers_after_10s": len(dirty),
        "max_clean_after_s": max(r["clean_after_s"] for r in rows),  # type: ignore[type-var]
        "total_left": {k: sum(r["left_after_10s"][k] for r in rows)  # type: ignore[index]
                       for k in ("containers", "networks", "folders")},
    }, indent=2))


if __name__ == "__main__":
    main()
