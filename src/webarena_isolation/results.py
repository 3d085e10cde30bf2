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
    ``score``: 1.0/0.0 from the task's WebArena evaluation, ``None`` when it was not scored
    (``evaluation["reason"]`` says why). ``usage``: model tokens and cost, for model agents.
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
    score: float | None = None
    evaluation: dict[str, Any] = field(default_factory=dict)
    steps: int | None = None
    usage: dict[str, Any] = field(default_factory=dict)

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


def score_totals(results: list[TaskResult]) -> dict[str, Any]:
    """How the run scored: tasks scored, passed, their mean, and the tasks not scored."""
    scored = [r.score for r in results if r.score is not None]
    return {
        "scored": len(scored),
        "passed": sum(1 for value in scored if value >= 1.0),
        "mean": round(sum(scored) / len(scored), 4) if scored else None,
        "not_scored": len(results) - len(scored),
    }


def usage_totals(results: list[TaskResult]) -> dict[str, Any]:
    """Model tokens and cost summed over the run; cost is ``None`` if any task's is unknown."""
    used = [r.usage for r in results if r.usage]
    costs = [u.get("cost_usd") for u in used]
    return {
        "prompt_tokens": sum(int(u.get("prompt_tokens", 0)) for u in used),
        "completion_tokens": sum(int(u.get("completion_tokens", 0)) for u in used),
        "requests": sum(int(u.get("requests", 0)) for u in used),
        "cost_usd": (
            round(sum(c for c in costs if c is not None), 6)
            if used and None not in costs
            else None
        ),
    }


def build_summary(results: list[TaskResult], run_info: dict[str, Any]) -> dict[str, Any]:
    """The run-level summary: run facts, counts per status, score, usage and every task."""
    counts = {status: 0 for status in STATUSES}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return {
        **run_info,
        "counts": counts,
        "total": len(results),
        "score": score_totals(results),
        "usage": usage_totals(results),
        "tasks": [r.to_json() for r in sorted(results, key=lambda r: r.task_id)],
    }


def write_summary(run_dir: Path, summary: dict[str, Any]) -> Path:
    """Write ``summary.json`` and ``index.html`` into the run folder."""
    write_json(run_dir / "summary.json", summary)
    (run_dir / "index.html").write_text(index_html(summary, run_dir), encoding="utf-8")
    return run_dir / "summary.json"


_INDEX_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}th{background:#f3f3f3}
.completed{background:#eaffea}.failed,.error{background:#ffecec}.interrupted{background:#fff6e0}
td.score{font-weight:bold;text-align:center}.pass{color:#070}.fail{color:#a00}.none{color:#777}
td.reason,td.errmsg{max-width:28rem;font-size:.9rem}.total{font-weight:bold}
"""


def _score_cell(task: dict[str, Any]) -> str:
    score = task.get("score")
    reason = (task.get("evaluation") or {}).get("reason", "")
    if score is None:
        return f"<td class='score none' title='{html.escape(reason)}'>–</td>"
    css = "pass" if score >= 1.0 else "fail"
    return f"<td class='score {css}'>{score:g}</td>"


def _usage_text(usage: dict[str, Any]) -> str:
    if not usage:
        return ""
    cost = usage.get("cost_usd")
    price = f"${cost:.4f}" if cost is not None else "cost n/a"
    return f"{usage.get('total_tokens', 0)} tok, {price}"


def _task_links(task: dict[str, Any], run_dir: Path | None) -> str:
    tid = task["task_id"]
    folder = f"task_{tid}"
    candidates = [
        (f"render_{tid}.html", "steps"),
        ("agent.log", "log"),
        ("result.json", "result"),
        (f"traces/trace_{tid}.zip", "trace"),
        ("site_error.log", "site log"),
    ]
    links = [f"<a href='{folder}/'>folder</a>"]
    for name, label in candidates:
        if run_dir is None or (run_dir / folder / name).exists():
            links.append(f"<a class='{label.replace(' ', '-')}' href='{folder}/{name}'>{label}</a>")
    return " ".join(links)


def index_html(summary: dict[str, Any], run_dir: Path | None = None) -> str:
    """The run's ``index.html``: one row per task and a total line; needs no server.

    Args:
        summary: from :func:`build_summary`.
        run_dir: the run folder; when given, only files that exist are linked.
    """
    esc = html.escape
    model = esc(str(summary.get("model")))
    rows = []
    for task in summary["tasks"]:
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in task["timings_s"].items())
        ports = ", ".join(f"{k}:{v}" for k, v in task["ports"].items())
        reason = (task.get("evaluation") or {}).get("reason", "")
        steps = "" if task.get("steps") is None else str(task["steps"])
        rows.append(
            f"<tr class='task {task['status']}' id='task-{task['task_id']}'>"
            f"<td>{task['task_id']}</td><td>{esc(', '.join(task['sites']))}</td>"
            f"<td class='status'>{task['status']}</td>{_score_cell(task)}"
            f"<td class='reason'>{esc(reason)}</td><td>{model}</td><td>{esc(task.get('agent', ''))}"
            f"</td><td class='steps'>{steps}</td><td>{esc(timings)}</td><td>{esc(ports)}</td>"
            f"<td>{esc(_usage_text(task.get('usage') or {}))}</td>"
            f"<td class='errmsg'>{esc(task.get('error') or '')}</td>"
            f"<td class='files'>{_task_links(task, run_dir)}</td></tr>"
        )
    counts = ", ".join(f"{k}: {v}" for k, v in summary["counts"].items() if v)
    score = summary.get("score") or {}
    usage = summary.get("usage") or {}
    mean = score.get("mean")
    score_text = (
        f"score {score.get('passed', 0)}/{score.get('scored', 0)} scored"
        + (f" (mean {mean:g})" if mean is not None else "")
        + f", {score.get('not_scored', 0)} not scored"
    )
    cost = usage.get("cost_usd")
    usage_text = (
        f"{usage.get('prompt_tokens', 0) + usage.get('completion_tokens', 0)} tokens"
        + (f", ${cost:.4f}" if cost is not None else ", cost n/a")
    )
    wall = summary.get("wall_s")
    wall_text = f", wall {wall:.1f} s" if isinstance(wall, (int, float)) else ""
    headers = ("task", "sites", "status", "score", "evaluation", "model", "agent", "steps",
               "time per phase", "ports", "tokens / cost", "error", "files")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Run {esc(str(summary.get('run_id')))}</title><style>{_INDEX_STYLE}</style>"
        f"</head><body><h1>Run {esc(str(summary.get('run_id')))}</h1>"
        f"<p>model {model} ({esc(str(summary.get('provider')))}), agent "
        f"{esc(str(summary.get('agent')))}, catalog {esc(str(summary.get('catalog')))}, "
        f"max workers {summary.get('max_workers')}</p><table><tr>"
        + "".join(f"<th>{h}</th>" for h in headers)
        + "</tr>"
        + "".join(rows)
        + f"</table><p class='total'>{summary['total']} tasks — {esc(counts)}; "
        f"{esc(score_text)}; {esc(usage_text)}{esc(wall_text)}</p></body></html>"
    )
