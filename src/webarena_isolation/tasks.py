"""Loading WebArena task configs and parsing ``--tasks`` selections."""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from webarena_isolation.errors import TaskSelectionError

logger = logging.getLogger(__name__)

TaskConfig = dict[str, Any]

SELECTION_FORMS = "a single id (78), a list (78,79,80), a range (78-82) or a mix (1,5-7)"

_RANGE = re.compile(r"^(\d+)-(\d+)$")


def parse_selection(text: str) -> list[int]:
    """Turn ``78``, ``78,79``, ``78-82`` or ``1,5-7`` into a sorted list of distinct ids.

    Raises:
        TaskSelectionError: the text is not one of the accepted forms.
    """
    ids: set[int] = set()
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise TaskSelectionError(
            f"--tasks {text!r} has an empty item", hint=f"accepted forms: {SELECTION_FORMS}"
        )
    for part in parts:
        match = _RANGE.match(part)
        if part.isdigit():
            ids.add(int(part))
        elif match:
            first, last = int(match.group(1)), int(match.group(2))
            if first > last:
                raise TaskSelectionError(
                    f"--tasks range {part!r} runs backwards",
                    hint=f"write it as {last}-{first}; accepted forms: {SELECTION_FORMS}",
                )
            ids.update(range(first, last + 1))
        else:
            raise TaskSelectionError(
                f"--tasks item {part!r} is not a task id or a range",
                hint=f"accepted forms: {SELECTION_FORMS}",
            )
    return sorted(ids)


def compact_ids(ids: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``1-3,7``: the inverse of :func:`parse_selection`."""
    spans: list[list[int]] = []
    for task_id in sorted(set(ids)):
        if spans and task_id == spans[-1][1] + 1:
            spans[-1][1] = task_id
        else:
            spans.append([task_id, task_id])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _dataset_file() -> Path:
    # webarena-verified ships the 812 original configs; we read them in place.
    entry = resources.files("webarena_verified") / "assets" / "dataset" / "test.raw.json"
    return Path(str(entry))


def load_task_pool(source: str | None = None) -> dict[int, TaskConfig]:
    """Load every task config from a source.

    Args:
        source: ``None`` for the original 812 tasks shipped by ``webarena-verified``; a JSON
            file holding a list of configs (like ``test.raw.json``); or a ``config_files/``
            directory of ``<id>.json`` files.

    Returns:
        Configs keyed by ``task_id``.

    Raises:
        TaskSelectionError: the source doesn't exist or holds no task configs.
    """
    path = _dataset_file() if source is None else Path(source)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.stem.isdigit())
        configs = [_read_json(p) for p in files]
    elif path.is_file():
        loaded = _read_json(path)
        configs = loaded if isinstance(loaded, list) else [loaded]
    else:
        raise TaskSelectionError(
            f"task source {path} does not exist",
            hint="pass a config_files/ directory or a test.raw.json file",
        )
    pool = {int(c["task_id"]): c for c in configs if isinstance(c, dict) and "task_id" in c}
    if not pool:
        raise TaskSelectionError(f"no task configs with a task_id found in {path}")
    logger.debug("loaded %d task configs from %s", len(pool), path)
    return pool


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaskSelectionError(
            f"task config {path} is not valid JSON ({exc})",
            hint="a task source is a config_files/ dir of <id>.json files or a test.raw.json",
        ) from None


def select_tasks(selection: str, pool: dict[int, TaskConfig]) -> list[TaskConfig]:
    """Parse ``selection`` and return the matching configs in id order.

    Raises:
        TaskSelectionError: the selection doesn't parse or names ids that aren't in the pool.
    """
    ids = parse_selection(selection)
    missing = [task_id for task_id in ids if task_id not in pool]
    if missing:
        raise TaskSelectionError(
            f"unknown task id(s): {compact_ids(missing)}",
            hint=f"this task set has ids {min(pool)}-{max(pool)}",
        )
    return [pool[task_id] for task_id in ids]
