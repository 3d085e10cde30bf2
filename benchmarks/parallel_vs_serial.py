"""Isolated-parallel vs serial on the stand-in sites, measured in one run; prints JSON.

Per environment: start-to-ready and teardown seconds (median, p95); per mode: wall time and
tasks per minute; and the ratio parallel / serial.

    .venv/bin/python benchmarks/parallel_vs_serial.py --tasks 78-83 --max-workers 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from webarena_isolation import engine
from webarena_isolation.agents.offline import OfflineAgent
from webarena_isolation.backends.local import run_local
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cleanup import remove_leftovers
from webarena_isolation.runner import RunSettings, prepare_run_dir
from webarena_isolation.tasks import load_task_pool, select_tasks


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 3), "p95": round(p95, 3)}


def measure(tasks: str, workers: int, results_root: Path) -> dict[str, object]:
    client = engine.connect()
    configs = select_tasks(tasks, load_task_pool())
    settings = RunSettings(
        catalog=load_catalog("demo"),
        agent=OfflineAgent(),
        model="offline",
        provider="none",
        max_workers=workers,
    )
    run_dir = prepare_run_dir(results_root, settings)
    started = time.monotonic()
    results = run_local(client, configs, settings, run_dir, on_phase=lambda *_: None)
    wall = time.monotonic() - started
    left = remove_leftovers(client, settings.run_id)
    return {
        "max_workers": workers,
        "tasks": len(configs),
        "completed": sum(r.status == "completed" for r in results),
        "wall_s": round(wall, 3),
        "tasks_per_minute": round(60 * len(configs) / wall, 2),
        "start_to_ready_s": _quantiles([r.timings_s.get("start", 0) for r in results]),
        "teardown_s": _quantiles([r.timings_s.get("teardown", 0) for r in results]),
        "agent_s": _quantiles([r.timings_s.get("agent", 0) for r in results]),
        "leftovers": left.total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="78-83")
    parser.add_argument("--max-workers", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        serial = measure(args.tasks, 1, Path(folder))
        parallel = measure(args.tasks, args.max_workers, Path(folder))
    print(
        json.dumps(
            {
                "benchmark": "parallel_vs_serial",
                "serial": serial,
                "isolated_parallel": parallel,
                "throughput_ratio_parallel_over_serial": round(
                    parallel["tasks_per_minute"] / serial["tasks_per_minute"], 2  # type: ignore[operator]
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
