"""One decided (or undecidable) piece of a task's evaluation, and how pieces make a score."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    """One comparison of the evaluation.

    Attributes:
        kind: ``string_match``, ``url_match`` or ``program_html``.
        rule: ``exact_match``, ``must_include``, ``fuzzy_match``, ``GOLD in PRED``.
        expected: the reference.
        actual: what was compared with it (answer, final URL, page text), shortened.
        passed: ``True``/``False``, or ``None`` when it could not be decided.
        reason: why it could not be decided, or a note on how it was.
    """

    kind: str
    rule: str
    expected: Any
    actual: str | None
    passed: bool | None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass
class Evaluation:
    """A task's score against its own environment.

    ``score`` is 1.0 when every check passed, 0.0 when any failed, ``None`` (not scored) when
    none failed but some could not be decided, or the task was not evaluated at all.
    """

    score: float | None
    reason: str
    checks: list[Check] = field(default_factory=list)
    judge_usage: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "score": self.score,
            "reason": self.reason,
            "checks": [c.to_json() for c in self.checks],
            "judge_usage": self.judge_usage,
        }


def combine(checks: list[Check]) -> tuple[float | None, str]:
    """The score and its one-line reason: WebArena multiplies, so one failure is 0."""
    if not checks:
        return None, "the task defines no checks"
    failed = [c for c in checks if c.passed is False]
    if failed:
        first = failed[0]
        return 0.0, (
            f"{len(failed)} of {len(checks)} check(s) failed; first: {first.kind} {first.rule} "
            f"expected {_short(first.expected)}, got {_short(first.actual)}"
        )
    undecided = [c for c in checks if c.passed is None]
    if undecided:
        return None, f"not scored: {undecided[0].kind} {undecided[0].rule}: {undecided[0].reason}"
    return 1.0, f"all {len(checks)} check(s) passed"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
