"""Read-only sites marked `shared` run once per run; every task gets the same address."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from webarena_isolation import engine, shared_sites
from webarena_isolation.agents.command import CommandAgent
from webarena_isolation.catalog import load_catalog
from webarena_isolation.runner import execute_task
from webarena_isolation.tasks import load_task_pool

from .test_isolation import settings_for

POOL = load_task_pool()


def test_shared_map_is_started_once_and_removed_with_the_run(client, run_id, results, tmp_path):
    path = tmp_path / "shared.toml"
    path.write_text('extends = "demo"\nname = "shared-map"\n[sites.map]\nshared = true\n')
    settings = settings_for(load_catalog(str(path)), run_id, max_workers=3)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            outcomes = list(pool.map(
                lambda t: execute_task(client, POOL[t], settings, results), [80, 81, 82]))
        assert all(o.status == "completed" for o in outcomes), [o.error for o in outcomes]
        assert len({o.ports["map"] for o in outcomes}) == 1
        maps = client.api.containers(filters={"label": [
            f"{engine.LABEL_RUN}={run_id}", f"{engine.LABEL_SITE}=map"]})
        assert len(maps) == 1, "one shared copy while the run lasts"
    finally:
        shared_sites.close_run(run_id)


def test_external_url_starts_no_container(client, run_id, results, tmp_path):
    path = tmp_path / "external.toml"
    path.write_text('extends = "demo"\nname = "external-map"\n[sites.map]\n'
                    'external_url = "http://127.0.0.1:9"\n')
    settings = settings_for(load_catalog(str(path)), run_id)
    settings.agent = CommandAgent("true")
    outcome = execute_task(client, POOL[80], settings, results)
    assert outcome.status == "completed", outcome.error
    assert outcome.ports == {"map": 9}
    config = (results / "task_80" / "config.json").read_text()
    assert '"start_url": "http://127.0.0.1:9"' in config
