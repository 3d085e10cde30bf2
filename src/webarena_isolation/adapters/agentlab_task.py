"""Run one BrowserGym/AgentLab experiment on one WebArena task; meant for AgentLab's Python.

Started by :mod:`webarena_isolation.adapters.browsergym` under the user's own interpreter
(where ``browsergym`` and ``agentlab`` are installed); it imports only the standard library
at module level, so the harness can load and test its helpers without them.

    python agentlab_task.py --agent-args agentlab.agents.generic_agent:AGENT_4o_MINI \\
        --task webarena.78 --max-steps 30 --exp-root <result_dir>/agentlab --result-dir <dir>

Leaves ``answer.txt`` (the agent's last message to the user), ``last_url.txt`` and
``browsergym_result.json`` (BrowserGym's own reward and step count) in ``--result-dir``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import pickle
import re
import sys
from pathlib import Path
from typing import Any


def load_object(spec: str) -> Any:
    """``package.module:NAME`` → that object."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise SystemExit(f"--agent-args {spec!r} must look like package.module:NAME")
    return getattr(importlib.import_module(module), name)


def last_step_file(exp_dir: Path) -> Path | None:
    """The highest-numbered ``step_<n>.pkl.gz`` of an experiment folder."""
    steps = []
    for path in exp_dir.glob("step_*.pkl.gz"):
        match = re.fullmatch(r"step_(\d+)\.pkl\.gz", path.name)
        if match:
            steps.append((int(match.group(1)), path))
    return max(steps)[1] if steps else None


def answer_and_url(step: Any) -> tuple[str | None, str | None]:
    """The agent's last message to the user and the page URL in one saved step."""
    obs = getattr(step, "obs", None) or {}
    messages = obs.get("chat_messages") or []
    answer = next(
        (str(m.get("message")) for m in reversed(messages) if m.get("role") == "assistant"), None
    )
    url = obs.get("url")
    return answer, str(url) if url else None


def main(argv: list[str] | None = None) -> int:
    """Run the experiment and write the protocol files."""
    parser = argparse.ArgumentParser(description="one AgentLab experiment on one task")
    parser.add_argument("--agent-args", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("--exp-root", required=True, type=Path)
    parser.add_argument("--result-dir", required=True, type=Path)
    args = parser.parse_args(argv)

    from browsergym.experiments.loop import EnvArgs, ExpArgs  # the user's BrowserGym

    experiment = ExpArgs(
        agent_args=load_object(args.agent_args),
        env_args=EnvArgs(task_name=args.task, max_steps=args.max_steps, headless=True),
    )
    experiment.prepare(args.exp_root)
    experiment.run()
    exp_dir = Path(experiment.exp_dir)
    summary_file = exp_dir / "summary_info.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    answer = url = None
    step_file = last_step_file(exp_dir)
    if step_file is not None:
        with gzip.open(step_file, "rb") as handle:
            answer, url = answer_and_url(pickle.load(handle))
    if answer is not None:
        (args.result_dir / "answer.txt").write_text(answer + "\n", encoding="utf-8")
    if url:
        (args.result_dir / "last_url.txt").write_text(url + "\n", encoding="utf-8")
    result = {
        "exp_dir": str(exp_dir),
        "browsergym_reward": summary.get("cum_reward"),
        "n_steps": summary.get("n_steps"),
        "err_msg": summary.get("err_msg"),
    }
    (args.result_dir / "browsergym_result.json").write_text(json.dumps(result, indent=2))
    return 1 if summary.get("err_msg") else 0


if __name__ == "__main__":
    sys.exit(main())
