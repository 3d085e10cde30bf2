"""Admission by memory: never start more environments than the host's memory allows.

Each site has a ``memory_estimate_mb`` in the catalog. Before an environment starts, its
estimate is taken from a budget (the host's available memory when the gate is made, minus a
reserve); tasks that don't fit wait in line, and the estimate is given back at teardown.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from webarena_isolation.errors import AdmissionError

logger = logging.getLogger(__name__)

DEFAULT_RESERVE_MB = 2048
WAIT_SLICE_S = 1.0


def available_memory_mb() -> int:
    """``MemAvailable`` from ``/proc/meminfo``, in MiB."""
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    raise AdmissionError("no MemAvailable in /proc/meminfo")


class MemoryGate:
    """A budget of MiB that environments hold while they live."""

    def __init__(self, budget_mb: int) -> None:
        self.budget_mb = budget_mb
        self.free_mb = budget_mb
        self.peak_held_mb = 0
        self._changed = threading.Condition()

    @classmethod
    def for_host(cls, *, reserve_mb: int | None = None) -> MemoryGate:
        """A gate sized to this host's available memory minus ``reserve_mb``."""
        if reserve_mb is None:
            reserve_mb = int(os.environ.get("WAI_MEMORY_RESERVE_MB", DEFAULT_RESERVE_MB))
        return cls(max(0, available_memory_mb() - reserve_mb))

    @contextmanager
    def hold(
        self, need_mb: int, *, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Wait until ``need_mb`` fit in the budget, hold them for the block, give them back.

        Raises:
            AdmissionError: ``need_mb`` exceeds the whole budget, so it could never start.
        """
        if need_mb > self.budget_mb:
            raise AdmissionError(
                f"an environment needs {need_mb} MiB but the memory budget is "
                f"{self.budget_mb} MiB",
                hint="free memory, lower WAI_MEMORY_RESERVE_MB or the catalog's "
                "memory_estimate_mb",
            )
        with self._changed:
            told = False
            while self.free_mb < need_mb:
                if on_wait is not None and not told:
                    on_wait(f"waiting for memory: needs {need_mb} MiB, {self.free_mb} free")
                    told = True
                self._changed.wait(WAIT_SLICE_S)
            self.free_mb -= need_mb
            self.peak_held_mb = max(self.peak_held_mb, self.budget_mb - self.free_mb)
        try:
            yield
        finally:
            with self._changed:
                self.free_mb += need_mb
                self._changed.notify_all()


_GATES: dict[int | None, MemoryGate] = {}
_GATES_LOCK = threading.Lock()


def gate(budget_mb: int | None = None) -> MemoryGate:
    """This process's gate: the host's (``None``) or one of a fixed budget."""
    with _GATES_LOCK:
        if budget_mb not in _GATES:
            _GATES[budget_mb] = (
                MemoryGate.for_host() if budget_mb is None else MemoryGate(budget_mb)
            )
        return _GATES[budget_mb]
