"""Picking up an interrupted run: what it was asked to do, and which tasks are already done."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from webarena_isolation.errors import UsageError
from webarena_isolation.results import TaskResult, write_json

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
FINISHED = ("completed", "failed")


def write_run_file(run_dir: Path, request: dict[str, Any]) -> None:
    """Record what the run was asked to do, before any container starts."""
    write_json(run_dir / RUN_FILE, request)


def read_run_file(run_dir: Path) -> dict[str, Any]:
    """What an earlier run in ``run_dir`` was asked to do.

    Raises:
        UsageError: ``run_dir`` is not a run folder of this tool.
    """
    path = run_dir / RUN_FILE
    if not path.is_file():
        raise UsageError(
            f"{run_dir} is not a run folder (no {RUN_FILE})",
            hint="pass one run's folder: parallel_demo_results/<timestamp>_<provider>_<model>",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path} is not valid JSON ({exc})") from None
    missing = [key for key in ("tasks", "model") if not isinstance(data, dict) or key not in data]
    if missing:
        raise UsageError(f"{path} lacks {', '.join(missing)}; it was not written by a run")
    return dict(data)


def finished_results(run_dir: Path) -> dict[int, TaskResult]:
    """Tasks whose results are complete (the agent completed or failed), keyed by id.

    Tasks that ended in ``error`` or ``interrupted``, or have no result, are not finished.
    """
    done: dict[int, TaskResult] = {}
    for path in sorted(run_dir.glob("task_*/result.json")):
        try:
            result = TaskResult(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            logger.warning("ignoring unreadable %s: %s", path, exc)
            continue
        if result.status in FINISHED:
            done[result.task_id] = result
    return done
