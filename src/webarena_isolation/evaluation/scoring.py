"""Scoring one task against its own environment with WebArena's evaluation types.

The task's (rewritten) ``eval`` block decides: ``string_match`` compares the agent's answer,
``url_match`` the URL it ended on, ``program_html`` reads the live sites, so scoring must run
before teardown. The types multiply, as in WebArena.
"""

from __future__ import annotations

import logging
from typing import Any

from playwright.sync_api import Error as PlaywrightError

from webarena_isolation.agents.llm_client import ChatError, Usage
from webarena_isolation.agents.pricing import cost_usd
from webarena_isolation.evaluation.checks import Check, Evaluation, combine
from webarena_isolation.evaluation.judge import LlmJudge
from webarena_isolation.evaluation.program_html import run_program_html
from webarena_isolation.evaluation.strings import clean_answer, exact_match, must_include
from webarena_isolation.evaluation.urls import GOLD_IN_PRED, url_matches
from webarena_isolation.tasks import TaskConfig

logger = logging.getLogger(__name__)

EVAL_TYPES = ("string_match", "url_match", "program_html")


def not_scored(reason: str) -> Evaluation:
    """An evaluation that did not run (an agent with no answer, an environment failure)."""
    return Evaluation(score=None, reason=f"not scored: {reason}")


def _fuzzy(
    references: Any, answer: str, *, intent: str, note: str, judge: LlmJudge | None, usage: Usage
) -> list[Check]:
    rule = "fuzzy_match"
    if references == "N/A":
        if exact_match("N/A", answer):
            return [Check("string_match", rule, "N/A", answer, True, "answered N/A")]
        return [_judged("N/A", note or "N/A", answer, intent, judge, usage, unachievable=True)]
    checks = []
    for reference in references if isinstance(references, list) else [references]:
        if clean_answer(str(reference)) == clean_answer(answer):
            checks.append(Check("string_match", rule, reference, answer, True, "identical"))
        else:
            checks.append(_judged(reference, str(reference), answer, intent, judge, usage))
    return checks


def _judged(
    expected: Any,
    reference: str,
    answer: str,
    intent: str,
    judge: LlmJudge | None,
    usage: Usage,
    *,
    unachievable: bool = False,
) -> Check:
    if judge is None:
        return Check("string_match", "fuzzy_match", expected, answer, None,
                     "needs an LLM judge (give the run a model key or --api-base)")
    try:
        verdict = judge.grade(intent=intent, reference=reference, answer=answer, usage=usage,
                              unachievable=unachievable)
    except ChatError as exc:
        return Check("string_match", "fuzzy_match", expected, answer, None, f"judge failed: {exc}")
    reason = f"judge said {verdict.reply.strip()[:40]!r}"
    return Check("string_match", "fuzzy_match", expected, answer, verdict.passed, reason)


def string_checks(
    config: TaskConfig, answer: str, *, judge: LlmJudge | None, usage: Usage
) -> list[Check]:
    """The ``string_match`` checks of ``config`` on ``answer``."""
    evaluation = config.get("eval") or {}
    references = evaluation.get("reference_answers") or {}
    checks: list[Check] = []
    for rule, value in references.items():
        if rule == "exact_match":
            passed = exact_match(str(value), answer)
            checks.append(Check("string_match", rule, value, answer, passed))
        elif rule == "must_include":
            items = value if isinstance(value, list) else [value]
            for item in items:
                passed = must_include(str(item), answer, tokenize=len(items) == 1)
                checks.append(Check("string_match", rule, item, answer, passed))
        elif rule == "fuzzy_match":
            checks.extend(
                _fuzzy(value, answer, intent=str(config.get("intent", "")),
                       note=str(evaluation.get("string_note") or ""), judge=judge, usage=usage)
            )
        else:
            checks.append(Check("string_match", rule, value, answer, None, "unknown rule"))
    if not checks:
        checks.append(Check("string_match", "-", None, answer, None, "no reference answers"))
    return checks


def url_checks(config: TaskConfig, last_url: str | None) -> list[Check]:
    """The ``url_match`` check of ``config`` on the agent's final URL."""
    evaluation = config.get("eval") or {}
    reference = str(evaluation.get("reference_url") or "")
    rule = str(evaluation.get("url_note") or GOLD_IN_PRED)
    if rule != GOLD_IN_PRED:
        return [Check("url_match", rule, reference, last_url, None, "unknown url_note rule")]
    if not last_url:
        return [Check("url_match", rule, reference, None, None, "the agent reported no final URL")]
    return [Check("url_match", rule, reference, last_url, url_matches(reference, last_url))]


def evaluate_task(
    config: TaskConfig,
    *,
    answer: str | None,
    last_url: str | None,
    judge: LlmJudge | None = None,
    browser_options: dict[str, Any] | None = None,
) -> Evaluation:
    """Score a task with its own ``eval`` block while its sites are up.

    Args:
        config: the rewritten task config (its URLs point at the task's own sites).
        answer: the agent's final answer (``None`` counts as an empty answer, as in WebArena).
        last_url: the URL the agent ended on, if known.
        judge: grades ``fuzzy_match`` answers; without one those checks are not scored.
        browser_options: keyword arguments for browser contexts (routed mode's proxy).

    Returns:
        The evaluation; it never raises for a problem of the task or its sites.
    """
    evaluation = config.get("eval") or {}
    types = list(evaluation.get("eval_types") or [])
    usage = Usage()
    checks: list[Check] = []
    unknown = [t for t in types if t not in EVAL_TYPES]
    for eval_type in unknown:
        checks.append(Check(eval_type, "-", None, None, None, "unknown evaluation type"))
    if "string_match" in types:
        checks.extend(string_checks(config, answer or "", judge=judge, usage=usage))
    if "url_match" in types:
        checks.extend(url_checks(config, last_url))
    if "program_html" in types:
        try:
            checks.extend(
                run_program_html(list(evaluation.get("program_html") or []), last_url=last_url,
                                 storage_state=config.get("storage_state"),
                                 browser_options=browser_options)
            )
        except PlaywrightError as exc:
            first_line = (str(exc).splitlines() or [""])[0]
            checks.append(Check("program_html", "-", None, None, None, f"browser: {first_line}"))
    score, reason = combine(checks)
    if answer is None and "string_match" in types and score == 0.0:
        reason += " (the agent gave no answer)"
    judge_usage = None
    if judge is not None and usage.requests:
        client = judge.client
        judge_usage = usage.to_json(
            cost_usd(client.model, usage.prompt_tokens, usage.completion_tokens,
                     custom_base=client.endpoint.custom_base)
        )
    return Evaluation(score=score, reason=reason, checks=checks, judge_usage=judge_usage)
