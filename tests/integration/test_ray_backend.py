"""The ray backend on a real Ray cluster of several nodes on this machine.

The nodes are separate ``ray start`` processes (LocalCluster) that share this machine's one
Docker engine; tasks run real environments, real Chromium and the offline agent on them.
"""

from __future__ import annotations

import io
import json
import pickle
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from webarena_isolation.agents.command import CommandAgent
from webarena_isolation.agents.offline import OfflineAgent
from webarena_isolation.backends.ray import run_ray, staging_root, sweep_nodes, unpack_folder
from webarena_isolation.cleanup import orphaned_runs
from webarena_isolation.cli import app
from webarena_isolation.cluster import (
    ClusterError,
    LocalCluster,
    connect,
    disconnect,
    docker_nodes,
    wait_for_nodes,
)
from webarena_isolation.runner import RunSettings, prepare_run_dir
from webarena_isolation.tasks import load_task_pool, select_tasks

from .conftest import leftovers_of

pytestmark = pytest.mark.timeout(900)

TASK_FILES = ("config.json", "environment.json", "result.json", "agent.log", "node.log")


@pytest.fixture(scope="module")
def cluster(client):
    """Head ``node_a`` and worker ``node_b``, three ``docker_env`` slots each."""
    started = LocalCluster([{"docker_env": 3, "node_a": 1}, {"docker_env": 3, "node_b": 1}])
    try:
        started.start()
        yield started
    finally:
        disconnect()
        started.stop()


@pytest.fixture
def driver(cluster):
    """This process connected to the cluster as its driver, for one test."""
    connect(cluster.address)
    try:
        yield cluster
    finally:
        disconnect()


def _node_ids_by_label() -> dict[str, str]:
    return {
        label: node.node_id
        for node in docker_nodes()
        for label in node.resources
        if label.startswith("node_") and not label.startswith("node:")
    }


def _no_staging_left(run_id: str) -> None:
    assert not staging_root(run_id).exists(), list(staging_root(run_id).rglob("*"))[:5]


def test_settings_travel_to_nodes_and_archives_stay_in_their_folder(catalog, tmp_path):
    for agent in (OfflineAgent(), CommandAgent("python agent.py {config_file}")):
        settings = RunSettings(catalog=catalog, agent=agent, model="m", provider="none")
        copy = pickle.loads(pickle.dumps(settings))
        assert copy.catalog == settings.catalog and copy.agent.name == agent.name

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        member = tarfile.TarInfo("task_79/result.json")
        archive.addfile(member, io.BytesIO(b""))
    with pytest.raises(ClusterError, match="outside task_78/"):
        unpack_folder(buffer.getvalue(), tmp_path, 78)
    assert not (tmp_path / "task_79").exists()


def test_cli_spreads_six_tasks_over_both_nodes(cluster, client, tmp_path):
    result = CliRunner().invoke(
        app,
        ["run", "--backend", "ray", "--ray-address", cluster.address, "--tasks", "78-83",
         "--model", "gemini-2.5-pro", "--agent", "offline", "--results-dir", str(tmp_path)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["backend"] == "ray"
    assert summary["counts"]["completed"] == 6, summary

    connect(cluster.address)
    try:
        by_label = _node_ids_by_label()
    finally:
        disconnect()
    nodes = {task["task_id"]: task["node"] for task in summary["tasks"]}
    assert set(nodes.values()) == {by_label["node_a"], by_label["node_b"]}, nodes
    for task in summary["tasks"]:
        folder = run_dir / f"task_{task['task_id']}"
        for name in TASK_FILES + (f"render_{task['task_id']}.html",):
            assert (folder / name).is_file(), (task["task_id"], name)
        assert list((folder / "traces").glob("*.zip")), task["task_id"]
        assert list((folder / "screenshots").glob("*.png")), task["task_id"]
        stored = json.loads((folder / "result.json").read_text())
        assert stored["node"] == task["node"]
        assert stored["details"]["ray"]["node_ip"] in ("127.0.0.2", "127.0.0.3")
        config = json.loads((folder / "config.json").read_text())
        port = next(iter(task["ports"].values()))
        assert f"127.0.0.1:{port}" in config["start_url"]
    ports = [p for t in summary["tasks"] for p in t["ports"].values()]
    assert len(set(ports)) == len(ports)
    assert leftovers_of(client, summary["run_id"]) == {
        "containers": [], "networks": [], "folders": []}
    _no_staging_left(summary["run_id"])


def test_cluster_status_shows_nodes_and_slots(cluster):
    result = CliRunner().invoke(
        app, ["cluster", "status", "--ray-address", cluster.address, "--json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["slots"] == 6 and status["free_slots"] == 6, status
    assert sorted(n["ip"] for n in status["nodes"]) == ["127.0.0.2", "127.0.0.3"]
    for node in status["nodes"]:
        assert node["slots"] == 3 and node["engine_id"], node
        assert isinstance(node["environments"], list)
        assert len(node["shares_engine_with"]) == 1  # both nodes use this machine's engine


def test_run_needs_a_cluster(tmp_path):
    result = CliRunner().invoke(
        app,
        ["run", "--backend", "ray", "--ray-address", "127.0.0.2:9", "--tasks", "78",
         "--model", "gpt-4o", "--results-dir", str(tmp_path / "r")],
    )
    assert result.exit_code == 1, result.output
    assert "no Ray cluster answers at 127.0.0.2:9" in result.output
    assert not (tmp_path / "r").exists()


def _process_tree(root: int) -> dict[int, str]:
    """Every live descendant of ``root`` (and itself), pid -> start time."""
    parents: dict[int, int] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
            started[int(entry.name)] = fields[19]
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return {pid: started[pid] for pid in tree if pid in started}


def test_killed_node_tasks_finish_on_the_other_nodes(driver, client, catalog, run_id, results):
    victim_index = driver.add_node({"docker_env": 2, "node_c": 1})
    wait_for_nodes(3)
    victim = _node_ids_by_label()["node_c"]
    victim_root = driver.nodes[victim_index].process.pid
    settings = RunSettings(
        catalog=catalog, agent=OfflineAgent(), model="offline", provider="none", run_id=run_id
    )
    run_dir = prepare_run_dir(results, settings)
    # Eight tasks fill the eight slots, so node_c gets exactly two of them.
    configs = select_tasks("78-85", load_task_pool())
    first_node: dict[int, str] = {}
    killed: dict[str, Any] = {}
    lock = threading.Lock()

    def on_placed(task_id: int, node_id: str) -> None:
        first_node.setdefault(task_id, node_id)

    def on_phase(task_id: int, phase: str, detail: str) -> None:
        # Kill the node while one of its tasks has its environment up and its agent running.
        with lock:
            if phase != "agent" or first_node.get(task_id) != victim or killed:
                return
            killed["tree"] = _process_tree(victim_root)
            killed["thread"] = threading.Thread(target=driver.kill_node, args=(victim_index,))
            killed["thread"].start()

    try:
        found = run_ray(configs, settings, run_dir, on_phase=on_phase, on_placed=on_placed,
                        sweep=False)
        assert killed, f"no task of node_c reached its agent: {first_node}"
        killed["thread"].join(timeout=60)

        on_victim = sorted(t for t, n in first_node.items() if n == victim)
        assert len(on_victim) == 2, first_node
        assert sorted(r.task_id for r in found) == list(range(78, 86))
        assert all(r.status == "completed" for r in found), [(r.task_id, r.error) for r in found]
        survivors = set(_node_ids_by_label().values())
        assert victim not in survivors and len(survivors) == 2
        for result in found:
            assert result.node in survivors, (result.task_id, result.node)
            if result.task_id in on_victim:
                assert result.details["ray"]["attempt_nodes"][0] == victim
            folder = run_dir / f"task_{result.task_id}"
            for name in TASK_FILES:
                assert (folder / name).is_file(), (result.task_id, name)
            assert json.loads((folder / "result.json").read_text())["node"] == result.node

        # The dead node's half-made environment is still there, owned by a process that is gone:
        # exactly what the reaper and `cleanup` look for.
        left = leftovers_of(client, run_id)
        assert left["containers"], "the killed attempt should have left its environment"
        # A retry gets a fresh environment: its own name, and only its folder came back.
        assert sorted(p.name for p in run_dir.iterdir() if p.is_dir()) == [
            f"task_{i}" for i in range(78, 86)]
        for task_id in on_victim:
            final = json.loads((run_dir / f"task_{task_id}" / "environment.json").read_text())
            assert not [name for name in left["containers"] if final["name"] in name], final["name"]
        assert run_id in orphaned_runs(client)
        swept = sweep_nodes(run_id)
        assert any(report.get("containers") for report in swept.values()), swept
        _no_staging_left(run_id)

        # Nothing of the killed node lives on (its Ray processes, their workers, their Chromium).
        tree = killed["tree"]
        still = [pid for pid, start in tree.items() if _still_running(pid, start)]
        assert not still, [(pid, _cmdline(pid)) for pid in still]
    finally:
        sweep_nodes(run_id)  # also after a failed assertion: the node-local folders too


def _still_running(pid: int, start: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z" and fields[19] == start


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"

