"""Two tasks on the same site kind change the same records; each sees only its own change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from webarena_isolation.agents.base import TaskContext
from webarena_isolation.agents.offline import OfflineAgent
from webarena_isolation.environment import Environment
from webarena_isolation.rewrite import rewrite_config
from webarena_isolation.runner import RunSettings, _login, execute_task
from webarena_isolation.tasks import load_task_pool

POOL = load_task_pool()


def settings_for(catalog, run_id, **extra):
    # Tests never claim members of pools someone else keeps on this engine.
    extra.setdefault("use_external_pools", False)
    return RunSettings(
        catalog=catalog, agent=OfflineAgent(), model="offline", provider="none",
        run_id=run_id, **extra,
    )


def test_parallel_tasks_on_one_site_kind_see_only_their_own_change(client, catalog, run_id,
                                                                    results):
    settings = settings_for(catalog, run_id, max_workers=2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda t: execute_task(client, POOL[t], settings, results),
                                 [78, 79]))
    for outcome in outcomes:
        assert outcome.status == "completed", outcome.error
        check = outcome.details["state_checks"]["shopping_admin"]
        assert check["own_change_seen"] and check["foreign_markers"] == []
    assert outcomes[0].ports["shopping_admin"] != outcomes[1].ports["shopping_admin"]


def test_shared_instance_control_shows_the_interference(client, catalog, run_id, tmp_path):
    # The situation the tool removes: two tasks against ONE copy of the site.
    settings = settings_for(catalog, run_id)
    shared = Environment(client, task_id=78, specs=[catalog.site("shopping_admin")],
                         run_id=run_id)
    with shared:
        outcomes = []
        for task_id in (78, 79):
            folder = tmp_path / f"task_{task_id}"
            folder.mkdir()
            config = rewrite_config(POOL[task_id], shared.addresses, auth_dir=shared.auth_dir)
            _login(shared, config, catalog)
            context = TaskContext(
                task_id=task_id, config=config, config_path=folder / "config.json",
                result_dir=folder, addresses=shared.addresses, catalog=catalog,
                run_id=run_id, model="offline", provider="none",
            )
            outcomes.append(settings.agent.run(context))
    first, second = outcomes
    assert first.status == "completed"
    assert second.status == "failed"
    assert first.details["marker"] in second.details["state_checks"]["shopping_admin"][
        "foreign_markers"]
