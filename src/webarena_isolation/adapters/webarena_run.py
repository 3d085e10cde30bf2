"""``--agent-cmd`` adapter for WebArena's own ``run.py``.

Usage::

    webarena-isolation run --tasks 78-82 --model gpt-4o \\
      --agent-cmd "python -m webarena_isolation.adapters.webarena_run --webarena-dir ~/webarena \\
                   --python ~/webarena/.venv/bin/python"

Per task it writes the rewritten config as ``<result_dir>/webarena_config/<id>.json`` and runs,
in the WebArena checkout, ``run.py --test_config_base_dir <that dir> --test_start_idx <id>
--test_end_idx <id+1> --result_dir <result_dir>/webarena_run --model ... --provider ...``, with
``SHOPPING``, ``REDDIT``... pointing at the task's own sites (sites the task doesn't use get an
unreachable ``.invalid`` URL, because ``env_config.py`` requires all seven). It then reads the
final answer and URL from run.py's ``render_<id>.html`` and its PASS/FAIL line, and writes
``answer.txt``, ``last_url.txt`` and ``webarena_run.json``.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from webarena_isolation.adapters.sites import complete_site_variables

_URL = re.compile(r"<h3 class='url'><a href=([^>\s]+)>")
_STOP = re.compile(r"<div class='parsed_action'[^>]*><pre>stop \[(.*?)\]</pre>", re.DOTALL)
_RESULT = re.compile(r"\[Result\] \((PASS|FAIL)\)")


@dataclass(frozen=True)
class RunPyResult:
    """What run.py left behind for one task."""

    answer: str | None
    last_url: str | None
    webarena_verdict: str | None  # PASS / FAIL as run.py's own evaluator logged it


def write_task_config(config_file: Path, work_dir: Path, task_id: int) -> Path:
    """Copy the rewritten config to ``<work_dir>/webarena_config/<id>.json``; return the dir."""
    folder = work_dir / "webarena_config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{task_id}.json").write_text(config_file.read_text(encoding="utf-8"), "utf-8")
    return folder


def run_py_command(
    *,
    python: str,
    task_id: int,
    config_dir: Path,
    result_dir: Path,
    model: str,
    provider: str,
    max_steps: int,
    extra: Sequence[str] = (),
) -> list[str]:
    """The run.py command line for one task."""
    return [
        python, "run.py",
        "--test_config_base_dir", str(config_dir),
        "--test_start_idx", str(task_id),
        "--test_end_idx", str(task_id + 1),
        "--result_dir", str(result_dir),
        "--provider", provider,
        "--model", model,
        "--max_steps", str(max_steps),
        "--save_trace_enabled",
        *extra,
    ]


def run_py_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with all seven WebArena site variables set (see module docstring)."""
    return {**environ, **complete_site_variables(environ)}


def read_run_py_result(result_dir: Path, task_id: int, output: str) -> RunPyResult:
    """The answer and final URL from ``render_<id>.html``, the verdict from run.py's output."""
    render = result_dir / f"render_{task_id}.html"
    text = render.read_text(encoding="utf-8", errors="replace") if render.exists() else ""
    urls = _URL.findall(text)
    stops = _STOP.findall(text)
    verdicts = _RESULT.findall(output)
    return RunPyResult(
        answer=html.unescape(stops[-1]).strip() if stops else None,
        last_url=html.unescape(urls[-1]) if urls else None,
        webarena_verdict=verdicts[-1] if verdicts else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run WebArena's run.py on the current task (the ``WAI_*`` variables say which)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webarena-dir", required=True, type=Path, help="WebArena checkout")
    parser.add_argument("--python", default="python", help="WebArena's Python interpreter")
    parser.add_argument("--provider", default="openai", help="run.py's --provider")
    parser.add_argument("--model", default=None, help="run.py's --model (default: WAI_MODEL)")
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("extra", nargs="*", help="more run.py arguments (after --)")
    args = parser.parse_args(argv)

    task_id = int(os.environ["WAI_TASK_ID"])
    result_dir = Path(os.environ["WAI_RESULT_DIR"])
    config_dir = write_task_config(Path(os.environ["WAI_CONFIG_FILE"]), result_dir, task_id)
    run_dir = result_dir / "webarena_run"
    command = run_py_command(
        python=args.python, task_id=task_id, config_dir=config_dir, result_dir=run_dir,
        model=args.model or os.environ.get("WAI_MODEL", ""), provider=args.provider,
        max_steps=args.max_steps, extra=args.extra,
    )
    print("running:", " ".join(command), flush=True)
    completed = subprocess.run(
        command, cwd=args.webarena_dir, env=run_py_environment(os.environ), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
    )
    sys.stdout.write(completed.stdout)
    found = read_run_py_result(run_dir, task_id, completed.stdout)
    if found.answer is not None:
        (result_dir / "answer.txt").write_text(found.answer + "\n", encoding="utf-8")
    if found.last_url:
        (result_dir / "last_url.txt").write_text(found.last_url + "\n", encoding="utf-8")
    (result_dir / "webarena_run.json").write_text(
        json.dumps({"exit_code": completed.returncode, **found.__dict__}, indent=2), "utf-8"
    )
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
