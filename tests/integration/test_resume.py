"""`run --resume DIR` skips tasks whose results are complete and reruns the rest."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from webarena_isolation.cli import app


def test_resume_reruns_only_unfinished_tasks(client, tmp_path):
    runner = CliRunner()
    first = runner.invoke(app, ["run", "--tasks", "80-82", "--model", "claude-sonnet-4",
                                "--results-dir", str(tmp_path), "--agent-cmd", "true"],
                          catch_exceptions=False)
    assert first.exit_code == 0, first.output
    (run_dir,) = tmp_path.iterdir()
    kept = (run_dir / "task_80" / "result.json").read_text()
    (run_dir / "task_81" / "result.json").unlink()
    partial = json.loads((run_dir / "task_82" / "result.json").read_text())
    partial["status"] = "interrupted"
    (run_dir / "task_82" / "result.json").write_text(json.dumps(partial))

    second = runner.invoke(app, ["run", "--resume", str(run_dir)], catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert (run_dir / "task_80" / "result.json").read_text() == kept, "finished task rerun"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"]["completed"] == 3
    assert json.loads((run_dir / "run.json").read_text())["skipped_as_finished"] == [80]
    assert summary["model"] == "claude-sonnet-4" and summary["provider"] == "anthropic"


def test_resume_of_a_folder_that_is_not_a_run(tmp_path):
    result = CliRunner().invoke(app, ["run", "--resume", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a run folder" in result.output
