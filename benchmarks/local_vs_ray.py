"""Local backend vs ray backend on the same tasks, measured in one run; prints JSON.

The ray side runs on a cluster this script starts on this machine (LocalCluster: ``--nodes``
``ray start`` processes with ``--slots`` ``docker_env`` slots each, sharing the one engine) and
stops at the end; the local side runs with as many workers as the cluster has slots. Per
backend: wall time and tasks per minute; for Ray, its overhead per task (time from submit to
the unpacked result, minus the task's own time on its node) and the results' transfer.

    .venv/bin/python benchmarks/local_vs_ray.py --tasks 78-89 --nodes 2 --slots 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from webarena_isolation import engine
from webarena_isolation.agents.offline import OfflineAgent
from webarena_isolation.backends.local import run_local
from webarena_isolation.backends.ray import run_ray, staging_root
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cleanup import remove_leftovers
from webarena_isolation.cluster import LocalCluster, connect, disconnect, wait_for_nodes
from webarena_isolation.results import TaskResult
from webarena_isolation.runner import RunSettings, prepare_run_dir
from webarena_isolation.tasks import TaskConfig, load_task_pool, select_tasks


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 3),
        "mean": round(statistics.fmean(ordered), 3),
        "p95": round(p95, 3),
    }


def _settings(workers: int) -> RunSettings:
    return RunSettings(
        catalog=load_catalog("demo"),
        agent=OfflineAgent(),
        model="offline",
        provider="none",
        max_workers=workers,
    )


def _facts(results: list[TaskResult], wall: float, leftovers: int) -> dict[str, Any]:
    return {
        "tasks": len(results),
        "completed": sum(r.status == "completed" for r in results),
        "wall_s": round(wall, 3),
        "tasks_per_minute": round(60 * len(results) / wall, 2),
        "task_total_s": _quantiles([r.timings_s.get("total", 0.0) for r in results]),
        "leftovers": leftovers,
    }


def measure_local(configs: list[TaskConfig], workers: int, root: Path) -> dict[str, Any]:
    client = engine.connect()
    settings = _settings(workers)
    run_dir = prepare_run_dir(root, settings)
    started = time.monotonic()
    results = run_local(client, configs, settings, run_dir, on_phase=lambda *_: None)
    wall = time.monotonic() - started
    left = remove_leftovers(client, settings.run_id).total
    return {"max_workers": workers, **_facts(results, wall, left)}


def measure_ray(configs: list[TaskConfig], nodes: int, slots: int, root: Path) -> dict[str, Any]:
    client = engine.connect()
    mark = time.monotonic()
    with LocalCluster([{"docker_env": slots} for _ in range(nodes)]) as cluster:
        connect(cluster.address)
        try:
            wait_for_nodes(nodes)
            cluster_start_s = time.monotonic() - mark
            settings = _settings(nodes * slots)
            run_dir = prepare_run_dir(root, settings)
            started = time.monotonic()
            results = run_ray(configs, settings, run_dir, on_phase=lambda *_: None)
            wall = time.monotonic() - started
        finally:
            disconnect()
    left = remove_leftovers(client, settings.run_id).total
    left += int(staging_root(settings.run_id).exists())
    ray = [r.details.get("ray", {}) for r in results]
    return {
        "nodes": nodes,
        "slots_per_node": slots,
        "cluster_start_s": round(cluster_start_s, 3),
        **_facts(results, wall, left),
        "tasks_per_node": {
            (node or "?")[:8]: sum(r.node == node for r in results)
            for node in {r.node for r in results}
        },
        "overhead_per_task_s": _quantiles([d["overhead_s"] for d in ray if "overhead_s" in d]),
        "roundtrip_per_task_s": _quantiles([d["roundtrip_s"] for d in ray if "roundtrip_s" in d]),
        "pack_s": _quantiles([d["pack_s"] for d in ray if "pack_s" in d]),
        "unpack_s": _quantiles([d["unpack_s"] for d in ray if "unpack_s" in d]),
        "payload_kib": _quantiles([d["payload_bytes"] / 1024 for d in ray if "payload_bytes" in d]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", default="78-89", help="12 tasks by default")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--slots", type=int, default=2, help="docker_env slots per node")
    args = parser.parse_args()
    configs = select_tasks(args.tasks, load_task_pool())
    with tempfile.TemporaryDirectory() as folder:
        local = measure_local(configs, args.nodes * args.slots, Path(folder))
        on_ray = measure_ray(configs, args.nodes, args.slots, Path(folder))
    print(
        json.dumps(
            {
                "benchmark": "local_vs_ray",
                "tasks": args.tasks,
                "concurrency": args.nodes * args.slots,
                "local": local,
                "ray": on_ray,
                "throughput_ratio_ray_over_local": round(
                    on_ray["tasks_per_minute"] / local["tasks_per_minute"], 2
                ),
                "wall_overhead_per_task_s": round(
                    (on_ray["wall_s"] - local["wall_s"]) / len(configs), 3
                ),
                "note": "all nodes on this machine share its one engine and its cores",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
