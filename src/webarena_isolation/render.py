"""The per-task ``render_<id>.html``: every step an agent took, with its screenshot."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderStep:
    """One recorded step: where the browser was and what was done there.

    Attributes:
        url: the page's URL when the step was decided.
        title: its title.
        action: what was done, in one line.
        screenshot: the screenshot's path relative to the render file.
        note: anything else worth a line (the offline agent's check results).
        observation: what the model was shown (an excerpt), for model-driven agents.
        reply: the model's raw reply.
        error: why the action failed or the reply was rejected.
    """

    url: str
    title: str
    action: str
    screenshot: str | None = None
    note: str = ""
    observation: str = ""
    reply: str = ""
    error: str = ""


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
.step{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}
.step img{max-width:100%;border:1px solid #eee}
code{background:#f4f4f4;padding:0 .2rem}
pre{background:#f7f7f7;padding:.5rem;white-space:pre-wrap;max-height:24rem;overflow:auto}
.error{color:#a00}.answer{font-size:1.1rem}
"""

OBSERVATION_EXCERPT_CHARS = 3000


def _excerpt(text: str) -> str:
    if len(text) <= OBSERVATION_EXCERPT_CHARS:
        return text
    more = len(text) - OBSERVATION_EXCERPT_CHARS
    return text[:OBSERVATION_EXCERPT_CHARS] + f"\n... ({more} more characters)"


def write_render(
    path: Path,
    *,
    task_id: int,
    intent: str,
    steps: list[RenderStep],
    answer: str | None = None,
    outcome: str = "",
) -> Path:
    """Write the step-by-step page; screenshot paths are relative to its folder.

    Args:
        path: the ``render_<id>.html`` to write.
        task_id: the task.
        intent: the task's intent.
        steps: every step, in order.
        answer: the agent's final answer, shown at the top when it gave one.
        outcome: one line on how the run ended (``stopped after 4 steps``).
    """
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Task {task_id}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Task {task_id}</h1><p class='intent'>{html.escape(intent)}</p>",
    ]
    if outcome:
        parts.append(f"<p class='outcome'>{html.escape(outcome)}</p>")
    if answer is not None:
        parts.append(f"<p class='answer'>Answer: <code>{html.escape(answer)}</code></p>")
    for number, step in enumerate(steps, start=1):
        parts.append(f"<div class='step' id='step-{number}'><h2>Step {number}</h2>")
        parts.append(f"<p>Action: <code>{html.escape(step.action)}</code></p>")
        parts.append(
            f"<p>URL: <a class='url' href='{html.escape(step.url)}'>{html.escape(step.url)}</a>"
            f" — {html.escape(step.title)}</p>"
        )
        if step.note:
            parts.append(f"<p class='note'>{html.escape(step.note)}</p>")
        if step.error:
            parts.append(f"<p class='error'>Error: {html.escape(step.error)}</p>")
        if step.reply:
            parts.append(f"<p>Model reply:</p><pre class='reply'>{html.escape(step.reply)}</pre>")
        if step.observation:
            parts.append(
                "<details class='observation' open><summary>Observation</summary>"
                f"<pre>{html.escape(_excerpt(step.observation))}</pre></details>"
            )
        if step.screenshot:
            parts.append(f"<img src='{html.escape(step.screenshot)}' alt='step {number}'>")
        parts.append("</div>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
