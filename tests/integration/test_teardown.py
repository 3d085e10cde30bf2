"""Whatever happens to a task, its containers, network and private folder are removed."""

from __future__ import annotations

import json

from webarena_isolation.agents.command import CommandAgent
from webarena_isolation.catalog import load_catalog
from webarena_isolation.runner import execute_task
from webarena_isolation.tasks import load_task_pool

from .test_isolation import settings_for

POOL = load_task_pool()


def catalog_file(tmp_path, body):
    path = tmp_path / "override.toml"
    path.write_text('extends = "demo"\nname = "override"\n' + body)
    return load_catalog(str(path))


def test_success_leaves_nothing_and_records_timings(client, catalog, run_id, results):
    outcome = execute_task(client, POOL[80], settings_for(catalog, run_id), results)
    assert outcome.status == "completed", outcome.error
    folder = results / "task_80"
    described = json.loads((folder / "environment.json").read_text())
    assert described["state"] == "closed"
    assert set(described["timings_s"]) >= {"start_s", "teardown_s"}
    site = described["sites"]["map"]
    assert site["host_port"] == outcome.ports["map"]
    assert set(site["timings_s"]) >= {"create_s", "ready_s", "total_s"}
    for name in ("config.json", "result.json", "render_80.html", "agent.log"):
        assert (folder / name).is_file(), name
    assert list((folder / "traces").glob("*.zip"))


def test_agent_failure_leaves_nothing(client, catalog, run_id, results):
    settings = settings_for(catalog, run_id)
    settings.agent = CommandAgent("sh -c 'echo giving up; exit 3'")
    outcome = execute_task(client, POOL[78], settings, results)
    assert outcome.status == "failed" and outcome.error == "agent exited 3"
    assert "giving up" in (results / "task_78" / "agent.log").read_text()


def test_readiness_timeout_is_retried_then_fails_with_logs(client, run_id, results, tmp_path):
    catalog = catalog_file(
        tmp_path, "[sites.map.readiness]\npath = '/no-such-page'\ntimeout_s = 6\n"
    )
    outcome = execute_task(client, POOL[80], settings_for(catalog, run_id), results)
    assert outcome.status == "error"
    assert outcome.attempts == 2
    assert "map for task 80 not ready on 127.0.0.1:" in outcome.error
    assert "HTTP 404" in outcome.error and "readiness.timeout_s" in outcome.error
    assert "GET /no-such-page" in (results / "task_80" / "site_error.log").read_text()


def test_site_exiting_before_ready_fails_fast(client, run_id, results, tmp_path):
    # The image's entrypoint is the stand-in app; an unknown subcommand makes it exit 2.
    catalog = catalog_file(tmp_path, "[sites.map]\ncommand = ['no-such-subcommand']\n")
    outcome = execute_task(client, POOL[80], settings_for(catalog, run_id), results)
    assert outcome.status == "error"
    assert "exited with 2 before it was ready" in outcome.error
    assert outcome.attempts == 1, "a crash is not a slow start: no retry"
    assert "invalid choice" in (results / "task_80" / "site_error.log").read_text()


def test_broken_reconfigure_step_fails_with_its_output(client, run_id, results, tmp_path):
    catalog = catalog_file(tmp_path, "[sites.map]\nreconfigure = ['echo nope >&2; exit 4']\n")
    outcome = execute_task(client, POOL[80], settings_for(catalog, run_id), results)
    assert outcome.status == "error"
    assert "reconfiguring map for task 80 failed" in outcome.error and "exited 4" in outcome.error
