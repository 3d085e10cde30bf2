"""Density: N stand-in environments, each on its own network, all ready at once, then removed.

Prints JSON: environments started, time to all-ready, peak host memory used, writable-layer
disk per environment (copy-on-write: a tiny fraction of the image), time to all-removed, and
leftovers (must be 0).

    .venv/bin/python benchmarks/density.py --environments 200 --site map
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from webarena_isolation import engine
from webarena_isolation.admission import available_memory_mb
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cleanup import remove_leftovers
from webarena_isolation.environment import Environment
from webarena_isolation.runner import new_run_id


def used_memory_mb() -> int:
    total = 0
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) // 1024
    return total - available_memory_mb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=200)
    parser.add_argument("--site", default="map")
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    client = engine.connect(timeout=300)
    spec = load_catalog("demo").site(args.site)
    run_id = new_run_id()
    baseline_mb = used_memory_mb()
    peak = [baseline_mb]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.5):
            peak[0] = max(peak[0], used_memory_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    environments = [
        Environment(client, task_id=i, specs=[spec], run_id=run_id)
        for i in range(args.environments)
    ]
    started = time.monotonic()
    failures: list[str] = []

    def bring_up(env: Environment) -> None:
        try:
            env.start()
        except Exception as exc:  # report, don't stop the whole benchmark
            failures.append(f"{type(exc).__name__}: {exc}"[:200])

    try:
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(bring_up, environments))
        all_ready_s = time.monotonic() - started
        ready = [env for env in environments if env.state == "started"]
        peak[0] = max(peak[0], used_memory_mb())
        sizes = {
            entry["Id"]: entry.get("SizeRw", 0)
            for entry in client.api.containers(
                size=True, filters={"label": [f"{engine.LABEL_RUN}={run_id}"]}
            )
        }
        image_mb = client.images.get(spec.image).attrs["Size"] / 2**20
        networks = len(client.networks.list(filters={"label": [f"{engine.LABEL_RUN}={run_id}"]}))
    finally:
        removing = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(lambda env: env.close(), environments))
        all_removed_s = time.monotonic() - removing
        sampling.set()
    left = remove_leftovers(client, run_id, dry_run=True)
    writable = list(sizes.values())
    print(json.dumps({
        "benchmark": "density",
        "site": args.site,
        "environments_requested": args.environments,
        "environments_ready_at_once": len(ready),
        "own_networks": networks,
        "failures": failures[:5],
        "failure_count": len(failures),
        "time_to_all_ready_s": round(all_ready_s, 1),
        "peak_memory_used_mb": peak[0],
        "memory_per_environment_mb": round((peak[0] - baseline_mb) / max(1, len(ready)), 1),
        "writable_layer_kb_per_env_median": round(statistics.median(writable) / 1024, 1)
        if writable else None,
        "image_mb": round(image_mb, 1),
        "writable_fraction_of_image": round(statistics.median(writable) / 2**20 / image_mb, 6)
        if writable else None,
        "time_to_all_removed_s": round(all_removed_s, 1),
        "leftovers": left.total,
    }, indent=2))


if __name__ == "__main__":
    main()
