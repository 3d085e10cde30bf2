"""An LLM judge for WebArena's ``fuzzy_match`` answers, on the run's own chat client.

WebArena asks a model whether an answer means the same as the reference (and, for tasks that
can't be done, whether the agent's reason matches the annotator's). This judge asks the same
question in its own words and accepts only a plain "correct".
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from webarena_isolation.agents.llm_client import ChatClient, ChatError, Usage

logger = logging.getLogger(__name__)

_SYSTEM = (
    "You grade answers of a web agent. Compare the agent's answer with the reference answer "
    "for the question. Minor wording, formatting or extra detail that does not change the "
    "meaning is fine. Reply with exactly one word: correct or incorrect."
)
_UNACHIEVABLE = (
    "The task cannot be done; the reference gives the reason. Is the agent's answer saying the "
    "task cannot be done for that reason?"
)


@dataclass(frozen=True)
class Verdict:
    """The judge's decision: ``passed`` is ``None`` when its reply was neither word."""

    passed: bool | None
    reply: str


class LlmJudge:
    """Grades fuzzy answers with ``client`` (shared by task threads; no per-task state)."""

    def __init__(self, client: ChatClient) -> None:
        self.client = client

    def grade(
        self, *, intent: str, reference: str, answer: str, usage: Usage, unachievable: bool = False
    ) -> Verdict:
        """Ask whether ``answer`` matches ``reference`` for ``intent``; counts into ``usage``.

        Raises:
            ChatError: the model could not be reached after the client's retries.
        """
        lines = [
            f"Question: {intent}",
            f"Reference answer: {reference}",
            f"Agent's answer: {answer}",
        ]
        if unachievable:
            lines.insert(0, _UNACHIEVABLE)
        reply = self.client.complete(
            [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": "\n".join(lines)}]
        )
        usage.add(reply)
        words = re.findall(r"[a-z]+", reply.text.lower())
        if {"incorrect", "not", "partially"} & set(words):
            return Verdict(False, reply.text)
        if "correct" in words:
            return Verdict(True, reply.text)
        return Verdict(None, reply.text)


__all__ = ["ChatError", "LlmJudge", "Verdict"]
