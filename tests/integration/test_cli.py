"""The command line, in-process: the main job end to end (bad input: test_bad_input.py)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from webarena_isolation.cli import app

from .conftest import leftovers_of

runner = CliRunner()


def invoke(*args, env=None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def test_main_job_runs_tasks_78_to_82_two_at_a_time(client, tmp_path):
    result = invoke("run", "--tasks", "78-82", "--max-workers", "2",
                    "--model", "gemini-2.5-pro", "--results-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    (run_dir,) = tmp_path.iterdir()
    assert run_dir.name.endswith("_google_gemini-2.5-pro")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"]["completed"] == 5, summary
    assert [t["task_id"] for t in summary["tasks"]] == [78, 79, 80, 81, 82]
    for task in summary["tasks"]:
        folder = run_dir / f"task_{task['task_id']}"
        for name in ("config.json", "environment.json", "agent.log", "result.json",
                     f"render_{task['task_id']}.html"):
            assert (folder / name).is_file(), (task["task_id"], name)
        assert list((folder / "traces").glob("*.zip"))
        config = json.loads((folder / "config.json").read_text())
        port = next(iter(task["ports"].values()))
        assert f"127.0.0.1:{port}" in config["start_url"]
    ports = [p for t in summary["tasks"] for p in t["ports"].values()]
    assert len(set(ports)) == 5
    assert (run_dir / "index.html").is_file()
    assert leftovers_of(client, summary["run_id"]) == {
        "containers": [], "networks": [], "folders": []}
