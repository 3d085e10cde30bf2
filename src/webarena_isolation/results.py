"""The results folder: one folder per task, a run-level ``summary.json`` and ``index.html``."""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

STATUSES = ("completed", "failed", "error", "interrupted", "skipped")


@dataclass
class TaskResult:
    """How one task went.

    ``status``: ``completed`` (agent finished), ``failed`` (agent ran but failed), ``error``
    (environment or harness problem, the agent never got a fair chance), ``interrupted``.
    """

    task_id: int
    sites: list[str]
    status: str = "error"
    error: str | None = None
    answer: str | None = None
    agent: str = ""
    attempts: int = 0
    ports: dict[str, int] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    node: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["timings_s"] = {k: round(v, 3) for k, v in self.timings_s.items()}
        return data


def run_dir_name(started: datetime, provider: str, model: str) -> str:
    """``20261204-140501_google_gemini-2.5-pro``: sortable, one folder per run."""
    safe_model = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-") or "model"
    return f"{started:%Y%m%d-%H%M%S}_{provider}_{safe_model}"


def task_dir(run_dir: Path, task_id: int) -> Path:
    """The folder of one task's results."""
    return run_dir / f"task_{task_id}"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically (a crash leaves the old file or none)."""
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    partial.replace(path)


def write_task_result(run_dir: Path, result: TaskResult) -> Path:
    """Write ``task_<id>/result.json``."""
    folder = task_dir(run_dir, result.task_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "result.json"
    write_json(path, result.to_json())
    return path


def build_summary(results: list[TaskResult], run_info: dict[str, Any]) -> dict[str, Any]:
    """The run-level summary: run facts, counts per status and every task's result."""
    counts = {status: 0 for status in STATUSES}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return {
        **run_info,
        "counts": counts,
        "total": len(results),
        "tasks": [r.to_json() for r in sorted(results, key=lambda r: r.task_id)],
    }


def write_summary(run_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``summary.json`` and ``index.html`` into the run folder."""
    write_json(run_dir / "summary.json", summary)
    (run_dir / "index.html").write_text(_index_html(summary), encoding="utf-8")
    return run_dir / "summary.json"


def _index_html(summary: dict[str, Any]) -> str:
    rows = []
    for task in summary["tasks"]:
        tid = task["task_id"]
        folder = f"task_{tid}"
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in task["timings_s"].items())
        ports = ", ".join(f"{k}:{v}" for k, v in task["ports"].items())
        links = [f"<a href='{folder}/'>folder</a>"]
        for name, label in ((f"render_{tid}.html", "steps"), ("agent.log", "log")):
            links.append(f"<a href='{folder}/{name}'>{label}</a>")
        rows.append(
            f"<tr class='{task['status']}'><td>{tid}</td><td>{', '.join(task['sites'])}</td>"
            f"<td>{task['status']}</td><td>{html.escape(task.get('error') or '')}</td>"
            f"<td>{html.escape(ports)}</td><td>{html.escape(timings)}</td>"
            f"<td>{' '.join(links)}</td></tr>"
        )
    counts = ", ".join(f"{k}: {v}" for k, v in summary["counts"].items() if v)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Run "
        f"{html.escape(str(summary.get('run_id')))}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3rem .6rem}.completed{background:#eaffea}"
        ".failed,.error{background:#ffecec}.interrupted{background:#fff6e0}</style></head><body>"
        f"<h1>Run {html.escape(str(summary.get('run_id')))}</h1>"
        f"<p>model {html.escape(str(summary.get('model')))} "
        f"({html.escape(str(summary.get('provider')))}), catalog "
        f"{html.escape(str(summary.get('catalog')))}, max workers {summary.get('max_workers')}"
        "</p><table><tr><th>task</th><th>sites</th><th>status</th><th>error</th><th>ports</th>"
        "<th>time per phase</th><th>files</th></tr>"
        + "".join(rows)
        + f"</table><p class='total'>{summary['total']} tasks — {html.escape(counts)}</p>"
        "</body></html>"
    )
