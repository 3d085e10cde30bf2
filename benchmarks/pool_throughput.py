"""Cold start vs pool hit, and serial vs isolated-parallel vs parallel-with-pool; prints JSON.

All measured in one run on the stand-in sites:
- cold start to ready of one environment (median, p95) and its teardown;
- where a cold start's time goes: network, container create, waiting for the site to boot,
  reconfiguration inside it, and the rest (our orchestration overhead);
- pool-hit acquire (median, p95);
- tasks/minute for N short I/O-bound tasks (the agent sleeps, like one waiting on a model) at
  --max-workers W: serial, isolated-parallel, isolated-parallel with a warm pool.

    .venv/bin/python benchmarks/pool_throughput.py --tasks 20 --max-workers 4
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

from webarena_isolation import engine, pool
from webarena_isolation.agents.command import CommandAgent
from webarena_isolation.backends.local import run_local
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cleanup import remove_leftovers
from webarena_isolation.environment import Environment
from webarena_isolation.pool import EnvironmentPool
from webarena_isolation.runner import RunSettings, new_run_id, prepare_run_dir
from webarena_isolation.tasks import load_task_pool

SITE = "shopping_admin"


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 3), "p95": round(p95, 3), "n": len(values)}


def cold_starts(client, catalog, count: int) -> dict[str, object]:
    # Where start time goes, from the environment's own timings: the network (a Docker call),
    # each site's create (Docker calls), ready wait (the site booting) and reconfigure
    # (commands inside the container). Sites start in parallel, so the slowest one counts.
    # What is left is ours: folders, threads, bookkeeping.
    run_id = new_run_id()
    starts, teardowns, overheads = [], [], []
    parts: dict[str, list[float]] = {"network": [], "create": [], "ready": [], "reconfigure": []}
    for _ in range(count):
        env = Environment(client, task_id=1, specs=[catalog.site(SITE)], run_id=run_id)
        env.start()
        start_s = env.timings["start_s"]
        slowest = max(env.sites.values(), key=lambda site: site.timings["total_s"]).timings
        env.close()
        starts.append(start_s)
        teardowns.append(env.timings["teardown_s"])
        parts["network"].append(env.timings["network_s"])
        parts["create"].append(slowest["create_s"])
        parts["ready"].append(slowest["ready_s"])
        parts["reconfigure"].append(slowest.get("reconfigure_s", 0.0))
        inside = env.timings["network_s"] + slowest["total_s"]
        overheads.append(max(0.0, start_s - inside) / start_s)
    remove_leftovers(client, run_id)
    return {
        "start_to_ready_s": quantiles(starts),
        "teardown_s": quantiles(teardowns),
        "start_breakdown_median_s": {
            name: round(statistics.median(values), 3) for name, values in parts.items()
        },
        "orchestration_overhead_fraction_median": round(statistics.median(overheads), 4),
    }


def pool_hits(client, catalog, count: int) -> dict[str, object]:
    pool_id = new_run_id()
    warm = EnvironmentPool(client, catalog, pool_id=pool_id, site_sets=[[SITE]], size=4).start()
    times = []
    try:
        warm.wait_full(timeout=300)
        for _ in range(count):
            warm.wait_full(timeout=300)  # a hit means a ready member is there
            mark = time.monotonic()
            member = warm.acquire([SITE], claimer=pool_id)
            times.append(time.monotonic() - mark)
            threading.Thread(target=member.close).start()
    finally:
        warm.stop()
        time.sleep(1)
        remove_leftovers(client, pool_id)
    return {"pool_hit_acquire_s": quantiles(times)}


def throughput(client, catalog, configs, workers: int, pool_size: int, sleep_s: float,
               root: Path) -> dict[str, object]:
    settings = RunSettings(catalog=catalog, agent=CommandAgent(f"sleep {sleep_s}"),
                           model="bench", provider="none", max_workers=workers)
    run_dir = prepare_run_dir(root, settings)
    warm = None
    if pool_size:
        kinds = sorted({tuple(sorted(c["sites"])) for c in configs})
        warm = EnvironmentPool(client, catalog, pool_id=settings.run_id,
                               site_sets=[list(k) for k in kinds], size=pool_size).start()
        warm.wait_full(timeout=600)
        pool.register(settings.run_id, warm)
    mark = time.monotonic()
    results = run_local(client, configs, settings, run_dir, on_phase=lambda *_: None)
    wall = time.monotonic() - mark
    if warm is not None:
        pool.unregister(settings.run_id)
        warm.stop()
    left = remove_leftovers(client, settings.run_id)
    return {
        "max_workers": workers,
        "pool": pool_size,
        "tasks": len(configs),
        "completed": sum(r.status == "completed" for r in results),
        "wall_s": round(wall, 2),
        "tasks_per_minute": round(60 * len(configs) / wall, 2),
        "leftovers": left.total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--agent-sleep", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--pool-sizes", type=int, nargs="+", default=[4, 20],
                        help="pool sizes to measure (4 = max-workers; 20 = every task warm)")
    args = parser.parse_args()
    client = engine.connect()
    catalog = load_catalog("demo")
    every = load_task_pool()
    configs = [c for _, c in sorted(every.items()) if c["sites"] == [SITE]][: args.tasks]
    report: dict[str, object] = {"benchmark": "pool_throughput", "site": SITE}
    report["cold"] = cold_starts(client, catalog, args.samples)
    report["pool"] = pool_hits(client, catalog, args.samples)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        serial = throughput(client, catalog, configs, 1, 0, args.agent_sleep, root)
        parallel = throughput(client, catalog, configs, args.max_workers, 0, args.agent_sleep,
                              root)
        pooled = {
            size: throughput(client, catalog, configs, args.max_workers, size,
                             args.agent_sleep, root)
            for size in args.pool_sizes
        }
    report["throughput"] = {"serial": serial, "isolated_parallel": parallel,
                            **{f"isolated_parallel_pool_{k}": v for k, v in pooled.items()}}
    per_minute = serial["tasks_per_minute"]
    report["ratios"] = {
        "parallel_over_serial": round(parallel["tasks_per_minute"] / per_minute, 2),
        **{f"parallel_pool_{k}_over_serial": round(v["tasks_per_minute"] / per_minute, 2)
           for k, v in pooled.items()},
        "cold_start_over_pool_hit_median": round(
            report["cold"]["start_to_ready_s"]["median"]  # type: ignore[index]
            / max(report["pool"]["pool_hit_acquire_s"]["median"], 1e-6), 1),  # type: ignore[index]
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
