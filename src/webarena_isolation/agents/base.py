"""What every agent gets for a task and what it hands back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from playwright.sync_api import BrowserContext, sync_playwright

from webarena_isolation.browser import launch_chromium
from webarena_isolation.catalog import Catalog
from webarena_isolation.rewrite import SiteAddress
from webarena_isolation.tasks import TaskConfig


@dataclass(frozen=True)
class TaskContext:
    """One task, ready to be worked on in its own environment.

    Attributes:
        task_id: WebArena task id.
        config: the rewritten config (already pointing at the task's sites).
        config_path: where that config is written, for agents that read files.
        result_dir: the task's results folder; agents write their outputs here.
        addresses: the task's sites, keyed by kind.
        catalog: the catalog the sites came from.
        run_id: the run's id.
        model: model name the user asked for.
        provider: that model's provider.
        timeout_s: how long the agent may take.
        browser_options: keyword arguments for every ``browser.new_context`` of the task
            (in routed mode, the proxy that reaches the task's own containers).
    """

    task_id: int
    config: TaskConfig
    config_path: Path
    result_dir: Path
    addresses: dict[str, SiteAddress]
    catalog: Catalog
    run_id: str
    model: str
    provider: str
    timeout_s: float = 600.0
    browser_options: dict[str, Any] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        """The agent's own log file."""
        return self.result_dir / "agent.log"


@dataclass
class AgentOutcome:
    """What an agent reports: ``status`` is ``completed`` or ``failed``."""

    status: str
    answer: str | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def traced_context(task: TaskContext) -> Iterator[BrowserContext]:
    """A Chromium context for the task: its login state, its routing, a trace in ``traces/``.

    The trace is saved and the browser closed however the block ends.
    """
    traces = task.result_dir / "traces"
    traces.mkdir(exist_ok=True)
    state = task.config.get("storage_state")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(
                storage_state=state if state else None, **task.browser_options
            )
            context.tracing.start(screenshots=True, snapshots=True)
            try:
                yield context
            finally:
                context.tracing.stop(path=str(traces / f"trace_{task.task_id}.zip"))
                context.close()
        finally:
            browser.close()


class Agent(Protocol):
    """Anything that can work on a task in its environment."""

    name: str

    def run(self, task: TaskContext) -> AgentOutcome:
        """Work on ``task`` and report; must not raise for a failure of the task itself."""
        ...
