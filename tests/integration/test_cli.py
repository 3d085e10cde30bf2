"""The command line, in-process: the main job end to end, and bad input → one clear line."""

from __future__ import annotations

import json

import pytest
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


@pytest.mark.parametrize(
    ("tasks", "says"),
    [("78-", "not a task id or a range"), ("a,b", "not a task id or a range"),
     ("82-78", "runs backwards"), ("900", "unknown task id(s): 900")],
)
def test_bad_task_selection(tasks, says):
    result = invoke("run", "--tasks", tasks, "--model", "gpt-4o")
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output


def test_unknown_model_without_provider():
    result = invoke("run", "--tasks", "78", "--model", "mystery-model")
    assert result.exit_code == 2
    assert "pass --provider" in result.output


def test_missing_image_names_the_load_command(client, tmp_path):
    catalog = tmp_path / "real.toml"
    catalog.write_text(
        'extends = "demo"\n[sites.shopping_admin]\nimage = "shopping_admin_final_0719"\n'
        'load_hint = "docker load --input shopping_admin_final_0719.tar"\n'
    )
    result = invoke("run", "--tasks", "78", "--model", "gpt-4o", "--catalog", str(catalog),
                    "--results-dir", str(tmp_path / "r"))
    assert result.exit_code == 1
    assert "shopping_admin_final_0719" in result.output
    assert "docker load --input shopping_admin_final_0719.tar" in result.output
    assert not (tmp_path / "r").exists(), "nothing may start when an image is missing"


def test_daemon_down_says_how_to_start_it(tmp_path):
    result = invoke("run", "--tasks", "78", "--model", "gpt-4o",
                    env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    assert result.exit_code == 1
    assert "does not answer" in result.output and "dockerd" in result.output
