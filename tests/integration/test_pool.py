"""The warm pool: members handed out once, never reused, dead ones replaced."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from webarena_isolation import pool as pools
from webarena_isolation.catalog import load_catalog
from webarena_isolation.pool import EnvironmentPool, claim, free_members
from webarena_isolation.runner import execute_task
from webarena_isolation.tasks import load_task_pool

from .test_isolation import settings_for

POOL = load_task_pool()
POOL_CATALOG = Path(__file__).resolve().parents[1] / "data" / "pool-test.toml"


@pytest.fixture
def catalog():
    return load_catalog(str(POOL_CATALOG))


def make_pool(client, catalog, run_id, size, sets=(["map"],), login=False, shared=True):
    return EnvironmentPool(client, catalog, pool_id=run_id, site_sets=sets, size=size,
                           login=login, shared=shared).start()


def free(client, kinds):
    return free_members(client, kinds, catalog="pool-test")


def test_members_are_handed_out_once_and_never_reused(client, catalog, run_id):
    pool = make_pool(client, catalog, run_id, size=3)
    try:
        assert pool.wait_full(timeout=120)
        with ThreadPoolExecutor(max_workers=6) as threads:
            members = list(threads.map(
                lambda _: pool.acquire(["map"], claimer=run_id, timeout=120), range(6)))
        ids = [m.env_id for m in members]
        assert len(set(ids)) == 6, "each member goes to one taker"
        for member in members:
            assert not claim(client, member.env_id, "someone-else"), "claimed twice"
            member.close()  # a used member is torn down, not recycled
        assert pool.wait_full(timeout=120)
        assert not set(ids) & set(free(client, ["map"])), "a dirty member came back"
    finally:
        pool.stop()


def test_dead_member_is_noticed_and_replaced(client, catalog, run_id):
    pool = make_pool(client, catalog, run_id, size=1)
    try:
        assert pool.wait_full(timeout=120)
        (victim,) = free(client, ["map"])
        for container in client.containers.list(filters={"label": [
                f"webarena-isolation.env-id={victim}"]}):
            container.kill()
        deadline = time.monotonic() + 60
        while pool.stats.replaced_dead < 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert pool.stats.replaced_dead == 1
        assert pool.wait_full(timeout=120)
        assert victim not in free(client, ["map"])
    finally:
        pool.stop()


def test_tasks_run_on_pool_members_with_logins_made_ahead(client, catalog, run_id, results):
    pool = make_pool(client, catalog, run_id, size=2, sets=(["shopping_admin"],), login=True,
                     shared=False)
    pools.register(run_id, pool)
    try:
        assert pool.wait_full(timeout=120)
        settings = settings_for(catalog, run_id, max_workers=2)
        with ThreadPoolExecutor(max_workers=2) as threads:
            outcomes = list(threads.map(
                lambda t: execute_task(client, POOL[t], settings, results), [78, 79]))
        for outcome in outcomes:
            assert outcome.status == "completed", outcome.error
            assert outcome.details["pool_hit"] is True
            assert outcome.details["login"] == "made ahead"
    finally:
        pools.unregister(run_id)
        pool.stop()


def test_a_pool_process_serves_later_runs_and_never_twice(client, catalog, run_id, results,
                                                          tmp_path):
    import subprocess
    import sys

    from webarena_isolation.engine import LABEL_ENV

    out = (tmp_path / "pool.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "webarena_isolation", "pool", "start", "--sites", "map",
         "--size", "2", "--pool-id", run_id, "--catalog", str(POOL_CATALOG)],
        stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while len(free(client, ["map"])) < 2:
            assert time.monotonic() < deadline and process.poll() is None, \
                (tmp_path / "pool.out").read_text()
            time.sleep(0.5)
        members = set(free(client, ["map"]))
        settings = settings_for(catalog, "r" + run_id[:7], max_workers=2,
                                use_external_pools=True)
        with ThreadPoolExecutor(max_workers=2) as threads:
            outcomes = list(threads.map(
                lambda t: execute_task(client, POOL[t], settings, results), [80, 81]))
        used = set()
        for outcome in outcomes:
            assert outcome.status == "completed", outcome.error
            assert outcome.details.get("pool_hit") is True
        for task_id in (80, 81):
            env = (results / f"task_{task_id}" / "environment.json").read_text()
            used.add(next(m for m in members if m in env))
        assert len(used) == 2, "two runs' tasks, two different members"
        gone = client.api.containers(all=True, filters={"label": [
            f"{LABEL_ENV}={m}" for m in used][:1]})
        assert not gone, "used members are torn down"
    finally:
        subprocess.run([sys.executable, "-m", "webarena_isolation", "pool", "stop", "--pool",
                        run_id], check=False, capture_output=True, timeout=120)
        process.wait(timeout=60)
