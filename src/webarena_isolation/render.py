"""The per-task ``render_<id>.html``: every step an agent took, with its screenshot."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderStep:
    """One recorded step: where the browser was and what was done there."""

    url: str
    title: str
    action: str
    screenshot: str | None = None
    note: str = ""


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
.step{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}
.step img{max-width:100%;border:1px solid #eee}
code{background:#f4f4f4;padding:0 .2rem}
"""


def write_render(path: Path, *, task_id: int, intent: str, steps: list[RenderStep]) -> Path:
    """Write the step-by-step page; screenshot paths are relative to its folder."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Task {task_id}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Task {task_id}</h1><p class='intent'>{html.escape(intent)}</p>",
    ]
    for number, step in enumerate(steps, start=1):
        parts.append(f"<div class='step' id='step-{number}'><h2>Step {number}</h2>")
        parts.append(f"<p>Action: <code>{html.escape(step.action)}</code></p>")
        parts.append(
            f"<p>URL: <a class='url' href='{html.escape(step.url)}'>{html.escape(step.url)}</a>"
            f" — {html.escape(step.title)}</p>"
        )
        if step.note:
            parts.append(f"<p class='note'>{html.escape(step.note)}</p>")
        if step.screenshot:
            parts.append(f"<img src='{html.escape(step.screenshot)}' alt='step {number}'>")
        parts.append("</div>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
