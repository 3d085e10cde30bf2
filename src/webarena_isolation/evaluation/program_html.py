"""WebArena's ``program_html``: read the live site after the agent ran.

Each target names a page (``last`` = where the agent ended, a URL of the task's sites, or a
helper such as ``func:reddit_get_post_url('__last_url__')``) and a JavaScript locator whose
value must hold the required contents. It runs while the task's environment is still up, in a
fresh browser context with the task's login state. Differences from WebArena, which reads the
agent's own live page: ``last`` is re-opened by its URL (state that only lived in the agent's
page, such as unsaved form input, is gone); WebArena's ``eval()`` of helper names is replaced
by a fixed table, and helpers that need a site's REST API are reported as not scored.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

from webarena_isolation.browser import launch_chromium
from webarena_isolation.evaluation.checks import Check
from webarena_isolation.evaluation.strings import exact_match, must_include

logger = logging.getLogger(__name__)

PAGE_TIMEOUT_MS = 30_000
_FUNC = re.compile(r"^func:(\w+)\((.*)\)$", re.DOTALL)
KIND = "program_html"


def reddit_post_url(url: str) -> str:
    """The post a Postmill URL belongs to (``/f/<forum>/<id>/...`` → ``/f/<forum>/<id>/``)."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if len(segments) < 4 or segments[1] != "f":
        return url
    return f"{parts.scheme}://{parts.netloc}/f/{segments[2]}/{segments[3]}/"


def target_url(spec: str, last_url: str | None) -> tuple[str | None, str]:
    """Where a target is read: the URL, or ``None`` and why not."""
    if spec == "last":
        return (last_url, "") if last_url else (None, "the agent reported no final URL")
    match = _FUNC.match(spec.strip())
    if not match:
        return spec, ""
    name, argument = match.group(1), match.group(2).strip().strip("'\"")
    if name == "reddit_get_post_url":
        if argument == "__last_url__":
            if not last_url:
                return None, "the agent reported no final URL"
            argument = last_url
        return reddit_post_url(argument), ""
    return None, f"helper {name} is not supported (it needs the site's own API)"


def _read(page: Page, locator: str, prep_actions: list[str]) -> str:
    if not locator.strip():
        return page.content()
    for action in prep_actions:
        page.evaluate(f"() => {action}")
    try:
        value = page.evaluate(f"() => {locator}")
    except PlaywrightError:
        # WebArena counts a locator that throws (element missing) as empty text.
        return ""
    return "" if value is None else str(value)


def _compare(required: dict, text: str) -> list[tuple[str, object, bool]]:
    if "exact_match" in required:
        expected = required["exact_match"]
        return [("exact_match", expected, exact_match(str(expected), text))]
    results = []
    for content in required.get("must_include", []):
        options = str(content).split(" |OR| ")
        passed = any(must_include(option, text) for option in options)
        results.append(("must_include", content, passed))
    return results


def run_program_html(
    targets: list[dict],
    *,
    last_url: str | None,
    storage_state: str | None,
    browser_options: dict[str, Any] | None = None,
) -> list[Check]:
    """Read every target from the live sites and compare it.

    Args:
        targets: the config's ``eval.program_html`` list (already pointing at the task's sites).
        last_url: the URL the agent ended on, if it said.
        storage_state: the task's login state file, or ``None``.
        browser_options: keyword arguments for the browser context (routed mode's proxy).

    Returns:
        One check per required content; undecidable targets give checks with ``passed=None``.
    """
    checks: list[Check] = []
    plan = []
    for target in targets:
        url, why = target_url(str(target.get("url", "")), last_url)
        locator = str(target.get("locator") or "")
        if locator.startswith("func:"):
            url, why = None, f"locator helper {locator.split('(')[0][5:]} is not supported"
        plan.append((target, url, why, locator))
    if not any(url for _, url, _, _ in plan):
        return [check for t, _, why, _ in plan for check in _undecided(t, why)]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(
                storage_state=storage_state or None, **(browser_options or {})
            )
            page = context.new_page()
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            for target, url, why, locator in plan:
                if url is None:
                    checks.extend(_undecided(target, why))
                    continue
                try:
                    page.goto(url)
                    page.wait_for_load_state("load")
                    text = html.unescape(_read(page, locator, list(target.get("prep_actions", []))))
                except PlaywrightError as exc:
                    reason = f"could not read {url}: {(str(exc).splitlines() or [''])[0]}"
                    checks.extend(_undecided(target, reason))
                    continue
                for rule, expected, passed in _compare(target.get("required_contents", {}), text):
                    checks.append(Check(KIND, rule, expected, _clip(text), passed, f"read {url}"))
        finally:
            browser.close()
    return checks


def _undecided(target: dict, why: str) -> list[Check]:
    required = target.get("required_contents", {})
    if "exact_match" in required:
        return [Check(KIND, "exact_match", required["exact_match"], None, None, why)]
    items = required.get("must_include", []) or [None]
    return [Check(KIND, "must_include", item, None, None, why) for item in items]


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
