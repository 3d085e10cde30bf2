"""The built-in LLM web agent: one loop for every provider.

Each step it shows the model the task, its previous actions and the current page (URL, title,
accessibility snapshot trimmed to a token budget), parses one action from the reply and performs
it in Chromium, until the model stops with an answer, the step limit or the time limit is
reached. Every step is recorded in ``render_<id>.html`` (screenshot, observation excerpt, model
reply, action) and the browser session in ``traces/``. The browser may only reach the task's own
sites: any other request is aborted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route

from webarena_isolation.agents.actions import (
    ACTION_HELP,
    Action,
    ActionFailed,
    ActionParseError,
    origin_of,
    parse_action,
    perform,
)
from webarena_isolation.agents.base import AgentOutcome, TaskContext, traced_context
from webarena_isolation.agents.llm_client import ChatClient, ChatError, Usage
from webarena_isolation.agents.observation import Observation, observe
from webarena_isolation.agents.pricing import cost_usd
from webarena_isolation.render import RenderStep, write_render

logger = logging.getLogger(__name__)

PAGE_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 10_000
MAX_INVALID_REPLIES = 3
MAX_SAME_ACTION = 3
HISTORY_STEPS = 15

SYSTEM_PROMPT = """\
You are a web agent. You work on one task in a browser, one action per turn. Each turn you get
the task, your previous actions and the current page: its URL, title and accessibility snapshot,
in which every element you can act on carries a [ref=eN]. Use only refs from the current
snapshot. Stay on this task's sites: {origins}.
When the task asks for information, stop with the answer alone, as short and exact as possible.
When the task asks you to change something, do it, check it took effect, then stop.

{actions}"""


@dataclass
class _Run:
    """The state of one task's loop (the agent object itself is shared by task threads)."""

    task: TaskContext
    result_dir: Path
    log: TextIO
    usage: Usage = field(default_factory=Usage)
    steps: list[RenderStep] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    answer: str | None = None
    stop_reason: str = ""
    error: str | None = None

    def screenshot(self, page: Page) -> str | None:
        name = f"screenshots/step_{len(self.steps) + 1:02d}.png"
        try:
            page.screenshot(path=str(self.result_dir / name))
        except PlaywrightError as exc:
            logger.debug("task %s: screenshot failed: %s", self.task.task_id, exc)
            return None
        return name

    def record(self, step: RenderStep) -> None:
        self.steps.append(step)
        self.log.write(f"step {len(self.steps)}: {step.action} @ {step.url}")
        self.log.write(f" ({step.error})\n" if step.error else "\n")
        self.log.flush()


class LlmAgent:
    """Solves tasks with a chat model (see module docstring).

    Args:
        client: the model client; shared by every task of the run.
        max_steps: actions per task before it is stopped.
        observation_tokens: the token budget of one page observation.
    """

    name = "llm"

    def __init__(
        self, client: ChatClient, *, max_steps: int = 30, observation_tokens: int = 4000
    ) -> None:
        self.client = client
        self.max_steps = max_steps
        self.observation_tokens = observation_tokens

    def run(self, task: TaskContext) -> AgentOutcome:
        """Work on ``task`` until the model stops or a limit is reached; never raises."""
        (task.result_dir / "screenshots").mkdir(exist_ok=True)
        last_url: str | None = None
        with task.log_path.open("a", encoding="utf-8") as log:
            state = _Run(task, task.result_dir, log)
            log.write(f"llm agent: model {self.client.model} ({self.client.endpoint.provider})\n")
            try:
                with traced_context(task) as context:
                    allowed = {origin_of(a.origin) for a in task.addresses.values()}
                    context.route("**/*", lambda route: _guard(route, allowed))
                    page = context.new_page()
                    page.set_default_timeout(PAGE_TIMEOUT_MS)
                    self._loop(state, page, allowed)
                    last_url = page.url
            except PlaywrightError as exc:
                state.stop_reason = "browser_error"
                state.error = f"browser: {(str(exc).splitlines() or ['error'])[0]}"
                logger.debug("task %s llm agent browser error: %s", task.task_id, exc)
            finally:
                write_render(
                    task.result_dir / f"render_{task.task_id}.html",
                    task_id=task.task_id,
                    intent=str(task.config.get("intent", "")),
                    steps=state.steps,
                    answer=state.answer,
                    outcome=f"{state.stop_reason} after {len(state.steps)} step(s)"
                    + (f": {state.error}" if state.error else ""),
                )
        cost = cost_usd(
            self.client.model,
            state.usage.prompt_tokens,
            state.usage.completion_tokens,
            custom_base=self.client.endpoint.custom_base,
        )
        details: dict[str, Any] = {
            "last_url": last_url,
            "steps": len(state.steps),
            "stop_reason": state.stop_reason,
            "usage": state.usage.to_json(cost),
        }
        status = "completed" if state.stop_reason == "stop" else "failed"
        return AgentOutcome(status, answer=state.answer, error=state.error, details=details)

    def _loop(self, state: _Run, page: Page, allowed: set[str]) -> None:
        task = state.task
        start_urls = [u.strip() for u in str(task.config["start_url"]).split(" |AND| ")]
        page.goto(start_urls[0])
        deadline = time.monotonic() + task.timeout_s
        system = SYSTEM_PROMPT.format(origins=", ".join(sorted(allowed)), actions=ACTION_HELP)
        invalid = 0
        last_error = ""
        for number in range(1, self.max_steps + 1):
            if time.monotonic() > deadline:
                state.stop_reason, state.error = "timeout", f"time limit {task.timeout_s:.0f} s"
                return
            observation = self._observe(page)
            prompt = self._prompt(state, observation, start_urls, number, last_error)
            shot = state.screenshot(page)
            seen = RenderStep(url=observation.url, title=observation.title, action="",
                              screenshot=shot, observation=observation.text())
            try:
                reply = self.client.complete(
                    [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
                )
            except ChatError as exc:
                state.record(replace(seen, action="model call", error=str(exc)))
                state.stop_reason, state.error = "model_error", str(exc)
                return
            state.usage.add(reply)
            try:
                action = parse_action(reply.text)
            except ActionParseError as exc:
                invalid += 1
                last_error = f"your reply was not a valid action: {exc}"
                state.history.append(f"(invalid reply: {exc.message})")
                state.record(replace(seen, action="(invalid reply)", reply=reply.text,
                                     error=str(exc)))
                if invalid >= MAX_INVALID_REPLIES:
                    state.stop_reason = "invalid_replies"
                    state.error = f"{invalid} invalid replies in a row"
                    return
                continue
            invalid = 0
            if action.kind == "stop":
                state.record(replace(seen, action=action.describe(), reply=reply.text))
                state.answer, state.stop_reason = action.answer, "stop"
                return
            last_error = self._act(page, action, allowed)
            state.record(replace(seen, action=action.describe(), reply=reply.text,
                                 error=last_error))
            state.history.append(action.describe() + (f" -> failed: {last_error}"
                                                      if last_error else ""))
            if _repeating(state.history):
                state.stop_reason = "repeating"
                state.error = f"the same action {MAX_SAME_ACTION} times in a row"
                return
        state.stop_reason, state.error = "step_limit", f"step limit of {self.max_steps} reached"

    def _observe(self, page: Page) -> Observation:
        try:
            return observe(page, budget_tokens=self.observation_tokens)
        except PlaywrightError:
            # A navigation the last action started can swap the document mid-snapshot.
            page.wait_for_load_state(timeout=PAGE_TIMEOUT_MS)
            return observe(page, budget_tokens=self.observation_tokens)

    @staticmethod
    def _act(page: Page, action: Action, allowed: set[str]) -> str:
        try:
            perform(page, action, allowed_origins=allowed, timeout_ms=ACTION_TIMEOUT_MS)
        except ActionFailed as exc:
            return str(exc)
        return ""

    def _prompt(
        self,
        state: _Run,
        observation: Observation,
        start_urls: list[str],
        number: int,
        last_error: str,
    ) -> str:
        lines = [f"Task: {state.task.config.get('intent', '')}"]
        if len(start_urls) > 1:
            lines.append("Start pages: " + " ; ".join(start_urls))
        lines.append("Previous actions:")
        earlier = state.history[-HISTORY_STEPS:]
        skipped = len(state.history) - len(earlier)
        if skipped:
            lines.append(f"({skipped} earlier actions not shown)")
        lines.extend(f"{skipped + i}. {entry}" for i, entry in enumerate(earlier, start=1))
        if not state.history:
            lines.append("none yet")
        if last_error:
            lines.append(f"The last action failed: {last_error}")
        lines.extend(["", "Current page:", observation.text(), ""])
        lines.append(f"Step {number} of {self.max_steps}. Reply with your next action as JSON.")
        return "\n".join(lines)


def _repeating(history: list[str]) -> bool:
    last = history[-MAX_SAME_ACTION:]
    return len(last) == MAX_SAME_ACTION and len(set(last)) == 1 and not last[0].startswith("type")


def _guard(route: Route, allowed: set[str]) -> None:
    # The task's browser talks to the task's own sites and nothing else.
    url = route.request.url
    if url.startswith(("http://", "https://")) and origin_of(url) not in allowed:
        route.abort("blockedbyclient")
    else:
        route.continue_()
