"""Running a user's own agent command once per task.

The protocol: the command line may hold ``{config_file}``, ``{result_dir}`` and ``{task_id}``;
the same values, the model and every site URL are in the environment (``WAI_*``, WebArena's
``SHOPPING``... and BrowserGym's ``WA_SHOPPING``...). The command writes what it likes into the
result dir; an ``answer.txt`` there is taken as its answer, a ``last_url.txt`` as the URL it
ended on (for ``url_match`` and ``program_html``'s ``last``). Exit 0 means it completed.
"""

from __future__ import annotations

import logging
import os
import shlex
import string
import subprocess

from webarena_isolation.agents.base import AgentOutcome, TaskContext
from webarena_isolation.catalog import render_template
from webarena_isolation.errors import AgentError, UsageError
from webarena_isolation.rewrite import site_environment_variables

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("config_file", "result_dir", "task_id")


class CommandAgent:
    """Runs ``command`` per task with the task's config and site URLs."""

    name = "command"

    def __init__(self, command: str) -> None:
        if not command.strip():
            raise AgentError("--agent-cmd is empty", hint="give the command that runs your agent")
        try:
            parts = shlex.split(command)
        except ValueError as exc:
            raise UsageError(f"--agent-cmd {command!r} does not split like a shell line: {exc}")
        for part in parts:
            for _, field, _, _ in string.Formatter().parse(part):
                if field is not None and field not in PLACEHOLDERS:
                    raise UsageError(
                        f"--agent-cmd uses {{{field}}}",
                        hint=f"it may hold {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
                    )
        self.command = command

    def environment(self, task: TaskContext) -> dict[str, str]:
        """The variables the command runs with (on top of the caller's environment)."""
        variables = site_environment_variables(task.addresses)
        variables.update(
            {
                "WAI_TASK_ID": str(task.task_id),
                "WAI_CONFIG_FILE": str(task.config_path),
                "WAI_RESULT_DIR": str(task.result_dir),
                "WAI_RUN_ID": task.run_id,
                "WAI_MODEL": task.model,
                "WAI_PROVIDER": task.provider,
                "WAI_STORAGE_STATE": str(task.config.get("storage_state") or ""),
                # Routed mode: the proxy that reaches this task's containers, else empty.
                "WAI_PROXY": str(task.browser_options.get("proxy", {}).get("server", "")),
            }
        )
        return variables

    def run(self, task: TaskContext) -> AgentOutcome:
        """Run the command; its output goes to ``agent.log``."""
        values: dict[str, object] = {
            "config_file": task.config_path,
            "result_dir": task.result_dir,
            "task_id": task.task_id,
        }
        argv = [render_template(part, values) for part in shlex.split(self.command)]
        env = {**os.environ, **self.environment(task)}
        with task.log_path.open("ab") as log:
            try:
                completed = subprocess.run(
                    argv,
                    env=env,
                    cwd=task.result_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=task.timeout_s,
                    check=False,
                )
            except FileNotFoundError:
                return AgentOutcome("failed", error=f"agent command not found: {argv[0]}")
            except subprocess.TimeoutExpired:
                return AgentOutcome("failed", error=f"agent timed out after {task.timeout_s:.0f} s")
        answer_file = task.result_dir / "answer.txt"
        answer = answer_file.read_text(encoding="utf-8").strip() if answer_file.exists() else None
        # last_url.txt (optional) is the page the agent ended on, for url_match and "last".
        url_file = task.result_dir / "last_url.txt"
        last_url = url_file.read_text(encoding="utf-8").strip() if url_file.exists() else ""
        details = {"last_url": last_url or None}
        if completed.returncode != 0:
            return AgentOutcome(
                "failed",
                answer=answer,
                error=f"agent exited {completed.returncode}",
                details=details,
            )
        return AgentOutcome("completed", answer=answer, details=details)
