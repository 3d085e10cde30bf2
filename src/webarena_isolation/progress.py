"""The live progress view: one row per task with its phase, ports and elapsed time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text

from webarena_isolation.tasks import TaskConfig

_STYLES = {
    "queued": "dim",
    "starting": "yellow",
    "login": "cyan",
    "agent": "blue",
    "teardown": "magenta",
    "completed": "green",
    "failed": "red",
    "error": "bold red",
    "interrupted": "dark_orange",
}
FINAL = {"completed", "failed", "error", "interrupted", "skipped"}


@dataclass
class _Row:
    sites: str
    phase: str = "queued"
    detail: str = ""
    started: float | None = None
    ended: float | None = None
    events: list[str] = field(default_factory=list)


class TaskBoard:
    """Thread-safe task table; pass it to ``rich.live.Live`` and call :meth:`update`."""

    def __init__(self, configs: list[TaskConfig], *, note: str = "") -> None:
        self._rows = {int(c["task_id"]): _Row(", ".join(c.get("sites", []))) for c in configs}
        self._lock = threading.Lock()
        self.note = note

    def update(self, task_id: int, phase: str, detail: str) -> None:
        """Record that ``task_id`` entered ``phase``."""
        with self._lock:
            row = self._rows.setdefault(task_id, _Row(""))
            if row.started is None and phase not in FINAL | {"queued"}:
                row.started = time.monotonic()
            if phase in FINAL:
                row.ended = time.monotonic()
            row.phase, row.detail = phase, detail

    def counts(self) -> dict[str, int]:
        """How many tasks are in each phase."""
        with self._lock:
            counts: dict[str, int] = {}
            for row in self._rows.values():
                counts[row.phase] = counts.get(row.phase, 0) + 1
            return counts

    def __rich__(self) -> Table:
        table = Table(title=self.note or None, expand=False)
        for column in ("task", "sites", "phase", "elapsed", "detail"):
            table.add_column(column)
        now = time.monotonic()
        with self._lock:
            for task_id, row in sorted(self._rows.items()):
                elapsed = ""
                if row.started is not None:
                    elapsed = f"{(row.ended or now) - row.started:.1f}s"
                table.add_row(
                    str(task_id),
                    row.sites,
                    Text(row.phase, style=_STYLES.get(row.phase, "")),
                    elapsed,
                    Text(row.detail[:90], overflow="ellipsis"),
                )
        return table
