"""The --agent-cmd adapters for WebArena's run.py and BrowserGym/AgentLab, as pure logic.

Neither WebArena's checkout nor AgentLab is installed here, so these tests check the command
lines, environments and result parsing the adapters produce; the run.py below is a recorder
that plays WebArena's part (its argv, environment and a render file in run.py's format).
"""

from __future__ import annotations

import gzip
import json
import pickle
import sys
from dataclasses import dataclass, field

from webarena_isolation.adapters import agentlab_task, webarena_run
from webarena_isolation.adapters.browsergym import agentlab_command, agentlab_environment
from webarena_isolation.adapters.sites import complete_site_variables

TASK_SITES = {"SHOPPING_ADMIN": "http://127.0.0.1:32001/admin", "WAI_TASK_ID": "78"}


def test_every_site_is_named_and_unused_ones_cannot_resolve():
    variables = complete_site_variables(TASK_SITES)
    assert variables["SHOPPING_ADMIN"] == "http://127.0.0.1:32001/admin"
    assert set(variables) == {"SHOPPING", "SHOPPING_ADMIN", "REDDIT", "GITLAB", "WIKIPEDIA",
                              "MAP", "HOMEPAGE"}
    assert variables["REDDIT"] == "http://reddit.not-provisioned.invalid"
    prefixed = complete_site_variables({"WA_REDDIT": "http://127.0.0.1:5"}, prefix="WA_")
    assert prefixed["WA_REDDIT"] == "http://127.0.0.1:5" and len(prefixed) == 7


def test_run_py_command_line(tmp_path):
    command = webarena_run.run_py_command(
        python="/opt/wa/bin/python", task_id=78, config_dir=tmp_path / "cfg",
        result_dir=tmp_path / "out", model="gpt-4o", provider="openai", max_steps=30,
        extra=["--temperature", "0"],
    )
    assert command == [
        "/opt/wa/bin/python", "run.py", "--test_config_base_dir", str(tmp_path / "cfg"),
        "--test_start_idx", "78", "--test_end_idx", "79", "--result_dir", str(tmp_path / "out"),
        "--provider", "openai", "--model", "gpt-4o", "--max_steps", "30",
        "--save_trace_enabled", "--temperature", "0",
    ]


FAKE_RUN_PY = r'''
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
value = lambda name: args[args.index(name) + 1]
task = int(value("--test_start_idx"))
config = json.loads((Path(value("--test_config_base_dir")) / f"{task}.json").read_text())
out = Path(value("--result_dir")); out.mkdir(parents=True, exist_ok=True)
Path(os.environ["RECORD"]).write_text(json.dumps({
    "argv": args, "cwd": os.getcwd(), "config": config,
    "sites": {k: os.environ[k] for k in ("SHOPPING_ADMIN", "REDDIT", "MAP")}}))
start = config["start_url"]
(out / f"render_{task}.html").write_text(
    "<html><body><pre>task_id: 78</pre>\n<h2>New Page</h2>\n"
    f"<h3 class='url'><a href={start}>URL: {start}</a></h3>\n"
    "<div class='predict_action'><div class='parsed_action' style='background-color:yellow'>"
    "<pre>click [12] where [12] is link 'Reviews'</pre></div></div>\n"
    f"<h3 class='url'><a href={start}/reviews>URL: {start}/reviews</a></h3>\n"
    "<div class='predict_action'><div class='parsed_action' style='background-color:yellow'>"
    "<pre>stop [346 &amp; more]</pre></div></div></body></html>")
print(f"[Result] (PASS) {task}.json", file=sys.stderr)
'''


def test_webarena_run_adapter_end_to_end_with_a_recording_run_py(tmp_path, monkeypatch):
    webarena_dir = tmp_path / "webarena"
    webarena_dir.mkdir()
    (webarena_dir / "run.py").write_text(FAKE_RUN_PY)
    result_dir = tmp_path / "task_78"
    result_dir.mkdir()
    config = {"task_id": 78, "start_url": "http://127.0.0.1:32001/admin", "intent": "count"}
    (result_dir / "config.json").write_text(json.dumps(config))
    for name, value in {**TASK_SITES, "WAI_RESULT_DIR": str(result_dir), "WAI_MODEL": "gpt-4o",
                        "WAI_CONFIG_FILE": str(result_dir / "config.json"),
                        "RECORD": str(tmp_path / "record.json")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDDIT", raising=False)

    code = webarena_run.main(["--webarena-dir", str(webarena_dir), "--python", sys.executable])

    assert code == 0
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["cwd"] == str(webarena_dir) and record["config"] == config
    assert record["argv"][record["argv"].index("--model") + 1] == "gpt-4o"
    assert record["sites"]["SHOPPING_ADMIN"] == "http://127.0.0.1:32001/admin"
    assert record["sites"]["REDDIT"].endswith(".invalid")
    assert (result_dir / "answer.txt").read_text() == "346 & more\n"
    assert (result_dir / "last_url.txt").read_text() == "http://127.0.0.1:32001/admin/reviews\n"
    summary = json.loads((result_dir / "webarena_run.json").read_text())
    assert summary["webarena_verdict"] == "PASS" and summary["exit_code"] == 0


def test_run_py_result_when_run_py_left_nothing(tmp_path):
    found = webarena_run.read_run_py_result(tmp_path, 5, "Traceback ...")
    assert found == webarena_run.RunPyResult(None, None, None)


def test_agentlab_command_and_environment(tmp_path):
    command = agentlab_command(python="/al/bin/python", agent_args="pkg.mod:AGENT", task_id=78,
                               max_steps=15, result_dir=tmp_path)
    assert command[0] == "/al/bin/python" and command[1].endswith("agentlab_task.py")
    assert command[2:] == ["--agent-args", "pkg.mod:AGENT", "--task", "webarena.78",
                           "--max-steps", "15", "--exp-root", str(tmp_path / "agentlab"),
                           "--result-dir", str(tmp_path)]
    env = agentlab_environment({"WA_SHOPPING_ADMIN": "http://127.0.0.1:32001/admin",
                                "PATH": "/bin"}, tmp_path)
    assert env["WA_SHOPPING_ADMIN"] == "http://127.0.0.1:32001/admin"
    assert env["WA_GITLAB"].endswith(".invalid") and env["WA_FULL_RESET"] == ""
    assert env["AGENTLAB_RESULTS_DIR"] == str(tmp_path / "agentlab") and env["PATH"] == "/bin"


@dataclass
class SavedStep:
    """Shaped like BrowserGym's StepInfo where the adapter reads it."""

    obs: dict = field(default_factory=dict)


def test_agentlab_answer_comes_from_the_last_step(tmp_path):
    messages = [{"role": "user", "message": "count reviews"},
                {"role": "assistant", "message": "346"},
                {"role": "info", "message": "done"}]
    for number, obs in ((0, {}), (2, {"chat_messages": messages, "url": "http://127.0.0.1:1/x"}),
                        (10, {"chat_messages": messages, "url": "http://127.0.0.1:1/y"})):
        with gzip.open(tmp_path / f"step_{number}.pkl.gz", "wb") as handle:
            pickle.dump(SavedStep(obs), handle)
    last = agentlab_task.last_step_file(tmp_path)
    assert last.name == "step_10.pkl.gz"
    with gzip.open(last, "rb") as handle:
        assert agentlab_task.answer_and_url(pickle.load(handle)) == ("346", "http://127.0.0.1:1/y")
    assert agentlab_task.answer_and_url(SavedStep()) == (None, None)
    assert agentlab_task.load_object("json:dumps") is json.dumps
