"""Scoring tasks with WebArena's evaluation types against each task's own environment.

Why not webarena-verified's evaluators: they score webarena-verified's revised tasks (their own
expected values, an agent-response JSON schema and network-trace checks), not the ``eval``
blocks of the original ``test.raw.json`` that this tool runs. ``string_match``, ``url_match``
and ``program_html`` are implemented here after WebArena's documented rules.
"""

from webarena_isolation.evaluation.checks import Check, Evaluation
from webarena_isolation.evaluation.judge import LlmJudge
from webarena_isolation.evaluation.scoring import evaluate_task, not_scored

__all__ = ["Check", "Evaluation", "LlmJudge", "evaluate_task", "not_scored"]
