"""Faults inside a run, each against the real engine: the task fails cleanly, others go on."""

from __future__ import annotations

import requests

from webarena_isolation import engine
from webarena_isolation.agents.command import CommandAgent
from webarena_isolation.backends.local import run_local
from webarena_isolation.environment import Environment
from webarena_isolation.runner import execute_task
from webarena_isolation.tasks import load_task_pool

from .test_isolation import settings_for

POOL = load_task_pool()


def test_engine_timeout_is_retried_without_leaving_a_duplicate(client, catalog, run_id,
                                                               monkeypatch):
    real_create = client.api.create_container
    calls = []

    def create_then_time_out(*args, **kwargs):
        calls.append(kwargs.get("name"))
        created = real_create(*args, **kwargs)
        if len(calls) == 1:
            raise requests.exceptions.ReadTimeout("injected: the answer got lost")
        return created

    monkeypatch.setattr(client.api, "create_container", create_then_time_out)
    with Environment(client, task_id=7, specs=[catalog.site("map")], run_id=run_id) as env:
        same = client.containers.list(
            all=True, filters={"label": [f"{engine.LABEL_ENV}={env.env_id}"]})
        assert len(same) == 1, [c.name for c in same]
        assert env.sites["map"].host_port > 0
    assert len(calls) == 1, "the container existed, so it must not be created again"


def test_site_dying_mid_task_fails_that_task_with_logs_and_others_go_on(client, catalog,
                                                                         run_id, results):
    settings = settings_for(catalog, run_id, max_workers=2)
    settings.agent = CommandAgent("sleep 3")

    def on_phase(task_id, phase, detail):
        if task_id == 78 and phase == "agent":
            labels = [f"{engine.LABEL_RUN}={run_id}", f"{engine.LABEL_TASK}=78"]
            for container in client.containers.list(filters={"label": labels}):
                container.kill()

    outcomes = {r.task_id: r for r in run_local(client, [POOL[78], POOL[79]], settings,
                                                 results, on_phase=on_phase)}
    assert outcomes[79].status == "completed", outcomes[79].error
    assert outcomes[78].status == "error"
    assert "shopping_admin exited" in outcomes[78].error
    log = (results / "task_78" / "site_logs" / "shopping_admin.log").read_text()
    assert "GET" in log, "the dead container's own log is saved"


def test_agent_timeout(client, catalog, run_id, results):
    settings = settings_for(catalog, run_id, agent_timeout_s=2)
    settings.agent = CommandAgent("sleep 60")
    outcome = execute_task(client, POOL[80], settings, results)
    assert outcome.status == "failed" and "timed out after 2 s" in outcome.error
    assert outcome.timings_s["agent"] < 10


def test_limits_and_loopback_binding_are_applied(client, catalog, run_id):
    spec = catalog.site("reddit")
    with Environment(client, task_id=8, specs=[spec], run_id=run_id) as env:
        container = env.sites["reddit"].container
        container.reload()
        host = container.attrs["HostConfig"]
        assert host["Memory"] == spec.mem_limit_mb * 1024 * 1024
        assert host["NanoCpus"] == int(spec.cpus * 1e9)
        bindings = container.attrs["NetworkSettings"]["Ports"]["80/tcp"]
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
        assert oct(env.work_dir.stat().st_mode & 0o777) == "0o700"
        assert oct(env.auth_dir.stat().st_mode & 0o777) == "0o700"
        work_dir = env.work_dir
    assert not work_dir.exists(), "the private folder goes with the environment"


PROBE = """
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    socket.create_connection((host, port), timeout=2).close()
    print("reached")
except OSError as exc:
    print("blocked", type(exc).__name__)
"""


def probe_from(container, host, port):
    status, output = container.exec_run(["python3", "-c", PROBE, host, str(port)])
    return output.decode().strip()


def test_a_task_cannot_reach_another_tasks_containers(client, catalog, run_id):
    specs = [catalog.site("reddit"), catalog.site("gitlab")]
    with Environment(client, task_id=10, specs=specs, run_id=run_id) as first, \
            Environment(client, task_id=11, specs=specs, run_id=run_id) as second:
        inside_first = first.sites["reddit"].container
        other = second.sites["gitlab"].container
        other.reload()
        other_ip = other.attrs["NetworkSettings"]["Networks"][second.name]["IPAddress"]
        # Its own sites are reachable by kind name; the other task's are not, by any name or
        # address.
        assert probe_from(inside_first, "gitlab", 8023) == "reached"
        assert probe_from(inside_first, other.name, 8023).startswith("blocked")
        assert probe_from(inside_first, other_ip, 8023).startswith("blocked")


def test_api_keys_never_reach_results(client, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from webarena_isolation.cli import app

    secret = "sk-test-" + "9f8e7d6c5b4a" * 3
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    result = CliRunner().invoke(app, [
        "run", "--tasks", "80", "--model", "gpt-4o", "--results-dir", str(tmp_path),
        "--agent-cmd", "sh -c 'echo agent ran for task $WAI_TASK_ID'"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "agent.log" for p in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
