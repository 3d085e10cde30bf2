"""The --agent-cmd protocol with a small external agent script, scored on the task's own site."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from typer.testing import CliRunner

from webarena_isolation.cli import app

from .conftest import leftovers_of

ECHO_AGENT = Path(__file__).parent / "agents" / "echo_agent.py"
TITLE = "All forums | Postmill Forum (reddit)"


def forum_task(task_id: int, expected_title: str) -> dict:
    return {
        "task_id": task_id,
        "sites": ["reddit"],
        "require_login": False,
        "storage_state": None,
        "start_url": "__REDDIT__/forums/all",
        "intent": "What is the title of the forum list page?",
        "eval": {
            "eval_types": ["string_match", "url_match"],
            "reference_answers": {"exact_match": expected_title},
            "reference_url": "__REDDIT__/forums/all",
            "url_note": "GOLD in PRED",
        },
    }


def test_external_agent_gets_its_sites_and_is_scored(client, tmp_path):
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps([forum_task(9101, TITLE), forum_task(9102, "Front page")]))
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(ECHO_AGENT))} {{task_id}}"
    result = CliRunner().invoke(
        app,
        ["run", "--tasks", "9101,9102", "--task-source", str(source), "--agent-cmd", command,
         "--model", "gpt-4o", "--max-workers", "2", "--results-dir", str(tmp_path / "r")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "r").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    tasks = {t["task_id"]: t for t in summary["tasks"]}
    for task_id, task in tasks.items():
        port = task["ports"]["reddit"]
        assert task["status"] == "completed" and task["agent"] == "command"
        assert task["answer"] == TITLE
        assert task["details"]["last_url"] == f"http://127.0.0.1:{port}/forums/all"
        log = (run_dir / f"task_{task_id}" / "agent.log").read_text()
        assert f"task {task_id}: http://127.0.0.1:{port}/forums/all" in log
        assert f"REDDIT=http://127.0.0.1:{port} WA_REDDIT=http://127.0.0.1:{port}" in log
    assert tasks[9101]["score"] == 1.0, tasks[9101]["evaluation"]
    assert tasks[9102]["score"] == 0.0
    assert "exact_match expected 'Front page'" in tasks[9102]["evaluation"]["reason"]
    assert tasks[9101]["usage"] == {}  # an external agent reports no tokens
    assert leftovers_of(client, summary["run_id"]) == {
        "containers": [], "networks": [], "folders": []}
