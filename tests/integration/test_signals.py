"""Ctrl-C, SIGTERM and SIGKILL of a real run process: summary written, nothing left."""

from __future__ import annotations

import json
import signal
import time

from .cli_process import agent_started, interrupt, run_folder, start_run, wait_for
from .conftest import leftovers_of

NOTHING = {"containers": [], "networks": [], "folders": []}


def finish(process, timeout=120):
    try:
        return process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()


def test_ctrl_c_once_lets_running_tasks_finish_and_marks_the_rest(client, run_id, tmp_path):
    process = start_run(tmp_path, run_id, "--tasks", "78-83", "--max-workers", "2",
                        "--agent-cmd", "sleep 3")
    wait_for(lambda: agent_started(tmp_path, 78), timeout=60, what="task 78 to start")
    interrupt(process)
    assert finish(process) == 130, (tmp_path / "cli.out").read_text()
    summary = json.loads((run_folder(tmp_path) / "summary.json").read_text())
    statuses = {t["task_id"]: t["status"] for t in summary["tasks"]}
    assert sorted(statuses) == [78, 79, 80, 81, 82, 83]
    assert statuses[78] == "completed", summary
    assert summary["counts"]["interrupted"] >= 3, statuses
    assert all(s in ("completed", "interrupted") for s in statuses.values()), statuses
    for task_id in statuses:
        assert (run_folder(tmp_path) / f"task_{task_id}" / "result.json").is_file()
    assert leftovers_of(client, run_id) == NOTHING


def test_sigterm_is_treated_like_ctrl_c(client, run_id, tmp_path):
    process = start_run(tmp_path, run_id, "--tasks", "78-81", "--max-workers", "1",
                        "--agent-cmd", "sleep 2")
    wait_for(lambda: agent_started(tmp_path, 78), timeout=60, what="task 78 to start")
    interrupt(process, sig=signal.SIGTERM)
    assert finish(process) == 130
    summary = json.loads((run_folder(tmp_path) / "summary.json").read_text())
    assert summary["counts"]["completed"] == 1 and summary["counts"]["interrupted"] == 3
    assert leftovers_of(client, run_id) == NOTHING


def test_ctrl_c_twice_tears_down_now(client, run_id, tmp_path):
    process = start_run(tmp_path, run_id, "--tasks", "78-79", "--max-workers", "2",
                        "--agent-cmd", "sleep 40")
    wait_for(lambda: agent_started(tmp_path, 78), timeout=60, what="task 78 to start")
    started = time.monotonic()
    interrupt(process, times=2)
    assert finish(process) == 130
    assert time.monotonic() - started < 60, "a second Ctrl-C must not wait for the agents"
    summary = json.loads((run_folder(tmp_path) / "summary.json").read_text())
    assert summary["total"] == 2
    assert leftovers_of(client, run_id) == NOTHING


def test_sigkill_leaves_nothing_within_ten_seconds(client, run_id, tmp_path):
    process = start_run(tmp_path, run_id, "--tasks", "78-79", "--max-workers", "2",
                        "--agent-cmd", "sleep 30")
    wait_for(lambda: agent_started(tmp_path, 78), timeout=60, what="task 78 to start")
    assert leftovers_of(client, run_id)["containers"], "there is something to reap"
    process.kill()
    process.wait(timeout=10)
    wait_for(lambda: leftovers_of(client, run_id) == NOTHING, timeout=10,
             what="the reaper to remove the killed run's leftovers")
