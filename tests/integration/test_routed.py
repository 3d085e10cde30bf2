"""Routed mode: canonical WebArena URLs in the browser, each task reaching its own containers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from webarena_isolation.runner import execute_task
from webarena_isolation.tasks import load_task_pool

from .test_isolation import settings_for

POOL = load_task_pool()


def test_two_routed_tasks_use_canonical_urls_and_own_state(client, catalog, run_id, results):
    settings = settings_for(catalog, run_id, max_workers=2, routed=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda t: execute_task(client, POOL[t], settings, results),
                                 [78, 79]))
    markers = set()
    for outcome in outcomes:
        assert outcome.status == "completed", outcome.error
        check = outcome.details["state_checks"]["shopping_admin"]
        assert check["page"] == "http://localhost:7780/admin/reviews"
        assert check["own_change_seen"] and not check["foreign_markers"]
        markers.add(outcome.details["marker"])
        config = (results / f"task_{outcome.task_id}" / "config.json").read_text()
        assert '"start_url": "http://localhost:7780/admin"' in config
    assert len(markers) == 2
    assert outcomes[0].ports["shopping_admin"] != outcomes[1].ports["shopping_admin"]
