"""The built-in offline agent: proves a task sees its own sites and nobody else's.

It needs no model. It opens the task's start URL with the task's login state, records every
page (screenshot and URL in ``render_<id>.html``, a Playwright trace in ``traces/``), adds one
record carrying a unique marker on each site that has a ``state_check`` in the catalog, reads
the records back, and reports whether it saw its own marker and any other task's.
"""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from webarena_isolation.agents.base import AgentOutcome, TaskContext, traced_context
from webarena_isolation.auth import sites_in_state_file
from webarena_isolation.catalog import StateCheckSpec
from webarena_isolation.render import RenderStep, write_render

logger = logging.getLogger(__name__)

MARKER_PATTERN = re.compile(r"wai-marker-[0-9a-z]+-t\d+-[0-9a-f]+")
PAGE_TIMEOUT_MS = 30_000


def new_marker(run_id: str, task_id: int) -> str:
    """A record title no other task can produce."""
    return f"wai-marker-{run_id}-t{task_id}-{secrets.token_hex(3)}"


class _Recorder:
    def __init__(self, result_dir: Path, log_file: Path) -> None:
        self.steps: list[RenderStep] = []
        self.shots = result_dir / "screenshots"
        self.shots.mkdir(exist_ok=True)
        self.log = log_file.open("a", encoding="utf-8")

    def record(self, page: Page, action: str, note: str = "") -> None:
        name = f"step_{len(self.steps) + 1:02d}.png"
        page.screenshot(path=str(self.shots / name))
        self.steps.append(RenderStep(page.url, page.title(), action, f"screenshots/{name}", note))
        self.log.write(f"{action} -> {page.url} {note}\n")
        self.log.flush()


class OfflineAgent:
    """Drives Chromium through a task without a model (see module docstring)."""

    name = "offline"

    def run(self, task: TaskContext) -> AgentOutcome:
        """Open the task, change one record per stateful site and check what it sees."""
        recorder = _Recorder(task.result_dir, task.log_path)
        marker = new_marker(task.run_id, task.task_id)
        checks: dict[str, dict[str, Any]] = {}
        error = None
        try:
            with traced_context(task) as context:
                page = context.new_page()
                page.set_default_timeout(PAGE_TIMEOUT_MS)
                for url in str(task.config["start_url"]).split(" |AND| "):
                    page.goto(url.strip())
                    recorder.record(page, f"goto {url.strip()}")
                for kind, spec in self._stateful_sites(task):
                    checks[kind] = self._change_and_read(task, page, kind, spec, marker, recorder)
        except PlaywrightError as exc:
            error = f"browser: {str(exc).splitlines()[0]}"
            logger.debug("task %s offline agent failed: %s", task.task_id, exc)
        finally:
            write_render(
                task.result_dir / f"render_{task.task_id}.html",
                task_id=task.task_id,
                intent=str(task.config.get("intent", "")),
                steps=recorder.steps,
            )
            recorder.log.close()

        details = {"marker": marker, "state_checks": checks}
        if error:
            return AgentOutcome("failed", error=error, details=details)
        foreign = sorted({m for c in checks.values() for m in c["foreign_markers"]})
        missing = [kind for kind, c in checks.items() if not c["own_change_seen"]]
        if foreign or missing:
            problem = []
            if missing:
                problem.append(f"own change not seen on {', '.join(missing)}")
            if foreign:
                problem.append(f"other tasks' changes seen: {', '.join(foreign)}")
            return AgentOutcome("failed", error="; ".join(problem), details=details)
        return AgentOutcome("completed", details=details)

    @staticmethod
    def _stateful_sites(task: TaskContext) -> list[tuple[str, StateCheckSpec]]:
        # Only sites the agent may change: those with a state page that need no login, or
        # whose login the task's storage_state carries.
        state = task.config.get("storage_state")
        signed_in = set(sites_in_state_file(state)) if state else set()
        stateful = []
        for kind in task.config.get("sites", []):
            site = task.catalog.site(kind)
            if site.state_check and (site.login is None or kind in signed_in):
                stateful.append((kind, site.state_check))
        return stateful

    @staticmethod
    def _change_and_read(
        task: TaskContext,
        page: Page,
        kind: str,
        spec: StateCheckSpec,
        marker: str,
        recorder: _Recorder,
    ) -> dict[str, Any]:
        page.goto(task.addresses[kind].url + spec.path)
        recorder.record(page, f"open {kind} records")
        form = page.locator(spec.form)
        form.locator(spec.field).fill(marker)
        form.locator(spec.submit).click()
        page.wait_for_load_state()
        titles = page.locator(spec.item).all_inner_texts()
        seen = MARKER_PATTERN.findall(" ".join(titles))
        result = {
            "page": page.url,
            "own_change_seen": marker in seen,
            "foreign_markers": sorted(set(seen) - {marker}),
            "records": len(titles),
        }
        recorder.record(page, f"add record {marker} on {kind}", note=str(result))
        return result
