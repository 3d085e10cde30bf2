"""The built-in LLM agent end to end: CLI → stand-in sites → a scripted model over real HTTP →
scored against each task's own live environment before teardown."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from webarena_isolation.cli import app

from .agents.scripted_model import Failure, ScriptedModel, last_user_message
from .conftest import leftovers_of

SECRET = "sk-test-never-written-7781"
TITLE = "Isolated agents at work"
INTENT = (f"Post '{TITLE}' on All forums, then tell me who posted "
          "'Tips for a first vegetable garden'.")
WRONG_INTENT = INTENT + " Answer from memory."


def reddit_task(task_id: int, intent: str) -> dict:
    return {
        "task_id": task_id,
        "sites": ["reddit"],
        "require_login": True,
        "storage_state": "./.auth/reddit_state.json",
        "start_url": "__REDDIT__",
        "intent": intent,
        "eval": {
            "eval_types": ["string_match", "url_match", "program_html"],
            "reference_answers": {"must_include": ["greenthumb"]},
            "reference_url": "__REDDIT__/forums/all",
            "url_note": "GOLD in PRED",
            "program_html": [
                {"url": "__REDDIT__/forums/all",
                 "locator": "[...document.querySelectorAll('.record-title')]"
                            ".map(e => e.textContent).join(' | ')",
                 "required_contents": {"must_include": [TITLE]}},
                {"url": "last", "locator": "", "required_contents": {"must_include": [TITLE]}},
            ],
        },
    }


def ref_of(page: str, pattern: str) -> str:
    match = re.search(pattern + r"[^\n]*\[ref=(\w+)\]", page)
    assert match, f"no {pattern} in:\n{page}"
    return match.group(1)


class Agentscript:
    """What a model would decide, read from the real observation it is sent."""

    def __init__(self) -> None:
        self.throttled = False
        self.rambled = False

    def __call__(self, body: dict) -> str | Failure:
        text = last_user_message(body)
        if body["messages"][0]["role"] != "system" or not text.startswith("Task: "):
            return "unexpected request"
        if not self.throttled and WRONG_INTENT not in text:
            self.throttled = True
            return Failure(429, {"Retry-After": "0.1"})
        page = text.split("Current page:", 1)[1]
        url = re.search(r"^URL: (\S+)", page, re.MULTILINE).group(1)
        if not url.endswith("/forums/all"):
            return json.dumps({"action": "click", "ref": ref_of(page, r'link "All forums"')})
        if WRONG_INTENT in text:
            return json.dumps({"thought": "I remember", "action": "stop", "answer": "bookworm_22"})
        if not self.rambled:
            self.rambled = True  # one reply with no action: the agent must recover
            return "Let me look at the list first."
        if re.search(rf"listitem [^\n]*{TITLE}", page):
            return json.dumps({"action": "stop", "answer": "It was greenthumb."})
        box = re.search(r'textbox "Title"[^\n]*?\[ref=(\w+)\](: (.*))?', page)
        if box and not box.group(3):
            return json.dumps({"action": "type", "ref": box.group(1), "text": TITLE})
        if box and TITLE in (box.group(3) or ""):
            return json.dumps({"action": "click", "ref": ref_of(page, r'button "Add post"')})
        return "I am not sure what to do."


def test_llm_agent_solves_scores_and_fails_on_its_own_sites(client, tmp_path, monkeypatch):
    source = tmp_path / "tasks.json"
    source.write_text(json.dumps([reddit_task(9001, INTENT), reddit_task(9002, WRONG_INTENT)]))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with ScriptedModel(Agentscript()) as model:
        result = CliRunner().invoke(
            app,
            ["run", "--tasks", "9001-9002", "--task-source", str(source), "--agent", "llm",
             "--api-base", model.url, "--model", "scripted-agent", "--max-workers", "2",
             "--max-steps", "8", "--results-dir", str(tmp_path / "results")],
            catch_exceptions=False,
        )
    assert result.exit_code == 0, result.output
    assert "agent: llm (scripted-agent via http://127.0.0.1:" in result.output
    (run_dir,) = (tmp_path / "results").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    tasks = {t["task_id"]: t for t in summary["tasks"]}
    ok, wrong = tasks[9001], tasks[9002]

    assert ok["status"] == "completed", (ok["error"], ok["evaluation"])
    assert ok["answer"] == "It was greenthumb."
    assert ok["score"] == 1.0, ok["evaluation"]
    port = ok["ports"]["reddit"]
    html_checks = [c for c in ok["evaluation"]["checks"] if c["kind"] == "program_html"]
    assert len(html_checks) == 2 and all(c["passed"] for c in html_checks)
    # Read from the task's own live site, before its teardown.
    assert html_checks[0]["reason"] == f"read http://127.0.0.1:{port}/forums/all"
    assert TITLE in html_checks[0]["actual"]
    assert ok["steps"] >= 4 and ok["usage"]["retries"] == 1
    assert ok["usage"]["requests"] == ok["steps"] and ok["usage"]["prompt_tokens"] > 0
    assert ok["usage"]["cost_usd"] is None  # a model behind --api-base has no known price

    assert wrong["status"] == "completed" and wrong["answer"] == "bookworm_22"
    assert wrong["score"] == 0.0
    failed = [c for c in wrong["evaluation"]["checks"] if c["passed"] is False]
    assert {c["kind"] for c in failed} == {"string_match", "program_html"}
    # The other task's post is not on this task's copy of the forum.
    assert all(TITLE not in (c["actual"] or "") for c in failed if c["kind"] == "program_html")
    assert wrong["ports"]["reddit"] != port
    assert summary["score"] == {"scored": 2, "passed": 1, "mean": 0.5, "not_scored": 0}

    folder = run_dir / "task_9001"
    render = (folder / "render_9001.html").read_text()
    assert render.count("class='step'") == ok["steps"]
    assert "Model reply" in render and "Observation" in render and "[ref=e" in render
    assert "(invalid reply)" in render and "no JSON object" in render
    assert "It was greenthumb." in render
    assert len(list((folder / "screenshots").glob("step_*.png"))) == ok["steps"]
    assert (folder / "traces" / "trace_9001.zip").stat().st_size > 0

    assert {r["authorization"] for r in model.requests} == {f"Bearer {SECRET}"}
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert leftovers_of(client, summary["run_id"]) == {
        "containers": [], "networks": [], "folders": []}
