"""Admission by memory: no more environments at once than the budget holds."""

from __future__ import annotations

import threading

from webarena_isolation.agents.command import CommandAgent
from webarena_isolation.backends.local import run_local
from webarena_isolation.tasks import load_task_pool

from .test_isolation import settings_for

POOL = load_task_pool()


def test_memory_budget_queues_environments(client, catalog, run_id, results):
    estimate = catalog.site("map").memory_estimate_mb
    settings = settings_for(catalog, run_id, max_workers=4,
                            memory_budget_mb=2 * estimate + estimate // 2)
    settings.agent = CommandAgent("sleep 2")
    lock = threading.Lock()
    alive, peak, waits = set(), [0], []

    def on_phase(task_id, phase, detail):
        with lock:
            if phase == "queued" and detail.startswith("waiting for memory"):
                waits.append(task_id)
            elif phase == "starting":
                alive.add(task_id)
                peak[0] = max(peak[0], len(alive))
            elif phase == "teardown":  # still inside its hold; the memory goes back after
                alive.discard(task_id)

    outcomes = run_local(client, [POOL[t] for t in (80, 81, 82, 83)], settings, results,
                         on_phase=on_phase)
    assert all(o.status == "completed" for o in outcomes), [o.error for o in outcomes]
    assert peak[0] == 2, "the budget holds two environments"
    assert waits, "the others were told they wait for memory"


def test_environment_larger_than_the_budget_is_refused(client, catalog, run_id, results):
    from webarena_isolation.runner import execute_task

    settings = settings_for(catalog, run_id, memory_budget_mb=10)
    outcome = execute_task(client, POOL[80], settings, results)
    assert outcome.status == "error"
    need = catalog.site("map").memory_estimate_mb
    assert f"needs {need} MiB but the memory budget is 10 MiB" in outcome.error
