"""The warm pool: members handed out once, never reused, dead ones replaced."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from webarena_isolation import pool as pools
from webarena_isolation.pool import EnvironmentPool, claim, free_members
from webarena_isolation.runner import execute_task
from webarena_isolation.tasks import load_task_pool

from .test_isolation import settings_for

POOL = load_task_pool()


def make_pool(client, catalog, run_id, size, sets=(["map"],), login=False):
    return EnvironmentPool(client, catalog, pool_id=run_id, site_sets=sets, size=size,
                           login=login).start()


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
        assert not set(ids) & set(free_members(client, ["map"])), "a dirty member came back"
    finally:
        pool.stop()


def test_dead_member_is_noticed_and_replaced(client, catalog, run_id):
    pool = make_pool(client, catalog, run_id, size=1)
    try:
        assert pool.wait_full(timeout=120)
        (victim,) = free_members(client, ["map"])
        for container in client.containers.list(filters={"label": [
                f"webarena-isolation.env-id={victim}"]}):
            container.kill()
        deadline = time.monotonic() + 60
        while pool.stats.replaced_dead < 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert pool.stats.replaced_dead == 1
        assert pool.wait_full(timeout=120)
        assert victim not in free_members(client, ["map"])
    finally:
        pool.stop()


def test_tasks_run_on_pool_members_with_logins_made_ahead(client, catalog, run_id, results):
    pool = make_pool(client, catalog, run_id, size=2, sets=(["shopping_admin"],), login=True)
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
