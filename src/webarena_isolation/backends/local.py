"""Running tasks on this machine, ``max_workers`` at a time, in threads."""

from __future__ import annotations

import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import docker

from webarena_isolation.results import TaskResult, write_task_result
from webarena_isolation.runner import (
    PhaseCallback,
    RunSettings,
    StopFlag,
    execute_task,
    interrupted_result,
)
from webarena_isolation.tasks import TaskConfig

logger = logging.getLogger(__name__)

POLL_S = 0.2


def run_local(
    client: docker.DockerClient,
    configs: list[TaskConfig],
    settings: RunSettings,
    run_dir: Path,
    *,
    on_phase: PhaseCallback,
    stop: StopFlag | None = None,
) -> list[TaskResult]:
    """Run every task with at most ``settings.max_workers`` environments at once.

    Tasks are handed to the pool one at a time as slots free up, so a stop request leaves
    the tasks not yet started untouched and marks them ``interrupted``.
    """
    stop = stop or StopFlag()
    pending = list(configs)
    running: dict[Future[TaskResult], TaskConfig] = {}
    results: list[TaskResult] = []
    with ThreadPoolExecutor(max_workers=settings.max_workers, thread_name_prefix="task") as pool:
        while pending or running:
            while pending and len(running) < settings.max_workers and not stop.requested.is_set():
                config = pending.pop(0)
                future = pool.submit(execute_task, client, config, settings, run_dir, on_phase)
                running[future] = config
            if stop.requested.is_set() and pending:
                for config in pending:
                    result = interrupted_result(config, settings)
                    write_task_result(run_dir, result)
                    results.append(result)
                    on_phase(result.task_id, "interrupted", "")
                pending.clear()
            if not running:
                break
            done, _ = wait(list(running), timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                running.pop(future)
                results.append(future.result())
    return results
