"""The actions the built-in LLM agent may take, parsed from the model's reply and performed.

The model answers with one JSON object, e.g. ``{"action": "click", "ref": "e7"}``; ``ref`` is
an element reference from the accessibility snapshot. JSON in plain text (not tool calling)
works the same on every OpenAI-compatible server, including small local ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from webarena_isolation.errors import AgentError

ACTION_HELP = """\
Reply with exactly one JSON object and nothing else. The actions:
{"action": "click", "ref": "e12"}                      click the element with that ref
{"action": "type", "ref": "e7", "text": "...", "submit": false}
                                                       replace the field's text; submit=true
                                                       presses Enter afterwards
{"action": "select", "ref": "e9", "option": "label"}   choose an option of a select box
{"action": "goto", "url": "http://..."}                open a URL of this task's sites
{"action": "go_back"}                                  the browser's back button
{"action": "scroll", "direction": "down"}              or "up"
{"action": "stop", "answer": "..."}                    finish; the answer to a question, or a
                                                       short note when the task was to change
                                                       something; "N/A" if it can't be done
You may add "thought": "..." to any action to note your reasoning."""

KINDS = ("click", "type", "select", "goto", "go_back", "scroll", "stop")
_NEEDS_REF = ("click", "type", "select")
# Playwright numbers refs per snapshot and prefixes them after a navigation (``f1e19``).
_REF = re.compile(r"^(f\d+)?e\d+$")


class ActionParseError(AgentError):
    """The model's reply holds no valid action."""


class ActionFailed(AgentError):
    """A valid action could not be performed on the page (element gone, URL not allowed...)."""


@dataclass(frozen=True)
class Action:
    """One parsed action; only the fields its kind uses are set."""

    kind: str
    ref: str | None = None
    text: str | None = None
    submit: bool = False
    option: str | None = None
    url: str | None = None
    direction: str | None = None
    answer: str | None = None
    thought: str | None = None

    def describe(self) -> str:
        """A one-line description, as it goes into the history and the render."""
        if self.kind == "click":
            return f"click {self.ref}"
        if self.kind == "type":
            return f"type {self.ref} {json.dumps(self.text)}" + (" + Enter" if self.submit else "")
        if self.kind == "select":
            return f"select {self.ref} {json.dumps(self.option)}"
        if self.kind == "goto":
            return f"goto {self.url}"
        if self.kind == "scroll":
            return f"scroll {self.direction}"
        if self.kind == "stop":
            return f"stop {json.dumps(self.answer)}"
        return self.kind


def _json_object(reply: str) -> dict[str, Any]:
    # Models wrap JSON in prose or code fences; take the first object that parses.
    decoder = json.JSONDecoder()
    for start in [m.start() for m in re.finditer(r"\{", reply)]:
        try:
            value, _ = decoder.raw_decode(reply, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise ActionParseError("the reply holds no JSON object", hint="reply with one JSON action")


def _text_field(data: dict[str, Any], name: str, kind: str) -> str:
    value = data.get(name)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ActionParseError(f"action {kind!r} needs a string {name!r}")
    return str(value)


def parse_action(reply: str) -> Action:
    """The action in a model reply.

    Raises:
        ActionParseError: no JSON object, an unknown action, or a missing/invalid field.
    """
    data = _json_object(reply)
    kind = str(data.get("action", "")).strip().lower()
    if kind not in KINDS:
        raise ActionParseError(
            f"unknown action {kind!r}", hint=f"use one of {', '.join(KINDS)}"
        )
    thought = data.get("thought") if isinstance(data.get("thought"), str) else None
    ref = None
    if kind in _NEEDS_REF:
        ref = _text_field(data, "ref", kind).strip()
        if not _REF.match(ref):
            raise ActionParseError(f"ref {ref!r} is not an element ref like e12")
    if kind == "click":
        return Action(kind, ref=ref, thought=thought)
    if kind == "type":
        text = _text_field(data, "text", kind)
        return Action(kind, ref=ref, text=text, submit=data.get("submit") is True, thought=thought)
    if kind == "select":
        return Action(kind, ref=ref, option=_text_field(data, "option", kind), thought=thought)
    if kind == "goto":
        return Action(kind, url=_text_field(data, "url", kind).strip(), thought=thought)
    if kind == "scroll":
        direction = str(data.get("direction", "down")).strip().lower()
        if direction not in ("up", "down"):
            raise ActionParseError(f"scroll direction {direction!r} is not up or down")
        return Action(kind, direction=direction, thought=thought)
    if kind == "stop":
        answer = data.get("answer", "")
        return Action(kind, answer="" if answer is None else str(answer), thought=thought)
    return Action(kind, thought=thought)


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def perform(page: Page, action: Action, *, allowed_origins: set[str], timeout_ms: float) -> None:
    """Do ``action`` on ``page`` and wait for the page to settle.

    Args:
        page: the task's page.
        action: a non-stop action.
        allowed_origins: the task's own site origins; ``goto`` elsewhere is refused.
        timeout_ms: how long one action may take.

    Raises:
        ActionFailed: the element is not there, the URL is not one of the task's sites, or
            the browser reported an error.
    """
    try:
        if action.kind == "goto":
            url = urljoin(page.url, action.url or "")
            if origin_of(url) not in allowed_origins:
                raise ActionFailed(
                    f"{url} is not one of this task's sites",
                    hint=f"use {', '.join(sorted(allowed_origins))}",
                )
            page.goto(url, timeout=timeout_ms)
        elif action.kind == "go_back":
            page.go_back(timeout=timeout_ms)
        elif action.kind == "scroll":
            page.mouse.wheel(0, 600 if action.direction == "down" else -600)
        else:
            target = page.locator(f"aria-ref={action.ref}")
            if action.kind == "click":
                target.click(timeout=timeout_ms)
            elif action.kind == "type":
                target.fill(action.text or "", timeout=timeout_ms)
                if action.submit:
                    target.press("Enter", timeout=timeout_ms)
            elif action.kind == "select":
                _select(target, action.option or "", timeout_ms)
        page.wait_for_load_state(timeout=timeout_ms)
    except PlaywrightError as exc:
        first_line = (str(exc).splitlines() or ["browser error"])[0]
        raise ActionFailed(f"{action.describe()} failed: {first_line}") from None


def _select(target: Any, option: str, timeout_ms: float) -> None:
    try:
        target.select_option(label=option, timeout=timeout_ms)
    except PlaywrightError:
        target.select_option(value=option, timeout=timeout_ms)
