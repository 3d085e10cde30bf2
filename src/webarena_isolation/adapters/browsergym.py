"""``--agent-cmd`` adapter for a BrowserGym/AgentLab agent.

Usage::

    webarena-isolation run --tasks 78-82 --model gpt-4o-mini \\
      --agent-cmd "python -m webarena_isolation.adapters.browsergym \\
                   --python ~/agentlab/.venv/bin/python \\
                   --agent-args agentlab.agents.generic_agent:AGENT_4o_MINI"

Per task it runs :mod:`.agentlab_task` with the given interpreter on BrowserGym's
``webarena.<id>`` task, with ``WA_SHOPPING``... naming the task's own sites (unused sites get an
unreachable ``.invalid`` URL since BrowserGym requires all seven), ``WA_FULL_RESET`` empty (each
environment is fresh, there is nothing to reset) and AgentLab's results inside the task folder.
BrowserGym logs in through each site's UI itself and scores with WebArena's evaluator; the
harness scores the answer it leaves as well.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from webarena_isolation.adapters import agentlab_task
from webarena_isolation.adapters.sites import complete_site_variables


def agentlab_command(
    *, python: str, agent_args: str, task_id: int, max_steps: int, result_dir: Path
) -> list[str]:
    """The command that runs one AgentLab experiment on ``webarena.<task_id>``."""
    return [
        python, str(Path(agentlab_task.__file__)),
        "--agent-args", agent_args,
        "--task", f"webarena.{task_id}",
        "--max-steps", str(max_steps),
        "--exp-root", str(result_dir / "agentlab"),
        "--result-dir", str(result_dir),
    ]


def agentlab_environment(environ: Mapping[str, str], result_dir: Path) -> dict[str, str]:
    """``environ`` plus every ``WA_*`` site, an empty ``WA_FULL_RESET`` and AgentLab's folder."""
    return {
        **environ,
        **complete_site_variables(environ, prefix="WA_"),
        "WA_FULL_RESET": "",
        "AGENTLAB_RESULTS_DIR": str(result_dir / "agentlab"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the AgentLab experiment for the current task (the ``WAI_*`` variables say which)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python", help="the interpreter with AgentLab")
    parser.add_argument("--agent-args", required=True, help="package.module:AGENT_ARGS")
    parser.add_argument("--max-steps", type=int, default=30)
    args = parser.parse_args(argv)

    result_dir = Path(os.environ["WAI_RESULT_DIR"])
    command = agentlab_command(
        python=args.python, agent_args=args.agent_args, task_id=int(os.environ["WAI_TASK_ID"]),
        max_steps=args.max_steps, result_dir=result_dir,
    )
    print("running:", " ".join(command), flush=True)
    return subprocess.run(
        command, env=agentlab_environment(os.environ, result_dir), check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
