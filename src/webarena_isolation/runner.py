"""One task from start to teardown, and a whole run of them on a backend.

:func:`execute_task` is the single code path every backend runs per task: start the task's
environment, rewrite its config, log in, run the agent, check the sites survived, save
everything, tear down.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import docker
import docker.errors
import requests

from webarena_isolation import admission, pool, shared_sites
from webarena_isolation.agents.base import Agent, TaskContext
from webarena_isolation.auth import merge_saved_states, sign_in_all
from webarena_isolation.catalog import Catalog
from webarena_isolation.environment import Environment
from webarena_isolation.errors import EnvironmentStartError, IsolationError, ReadinessTimeout
from webarena_isolation.evaluation import LlmJudge, evaluate_task, not_scored
from webarena_isolation.pool import site_set_key
from webarena_isolation.results import (
    TaskResult,
    build_summary,
    run_dir_name,
    task_dir,
    write_json,
    write_summary,
    write_task_result,
)
from webarena_isolation.rewrite import rewrite_config
from webarena_isolation.shared_sites import is_per_task
from webarena_isolation.tasks import TaskConfig

logger = logging.getLogger(__name__)

PhaseCallback = Callable[[int, str, str], None]

# Agents whose result is not an attempt at the task: scoring them would report a false 0.
AGENTS_WITHOUT_ANSWERS = frozenset({"offline"})


def _no_progress(task_id: int, phase: str, detail: str) -> None:
    """The default progress sink: nothing to show."""


def new_run_id() -> str:
    """A short id stamped on everything a run creates."""
    return secrets.token_hex(4)


@dataclass
class RunSettings:
    """Everything a task needs to know about the run it belongs to."""

    catalog: Catalog
    agent: Agent
    model: str
    provider: str
    run_id: str = field(default_factory=new_run_id)
    max_workers: int = 2
    bind_host: str = "127.0.0.1"
    url_host: str = "127.0.0.1"
    agent_timeout_s: float = 600.0
    start_attempts: int = 2
    use_external_pools: bool = True
    routed: bool = False
    memory_budget_mb: int | None = None
    judge: LlmJudge | None = None


def _save_site_logs(environment: Environment, folder: Path) -> None:
    logs = folder / "site_logs"
    logs.mkdir(exist_ok=True)
    for kind in environment.sites:
        (logs / f"{kind}.log").write_text(environment.log_tail(kind, 400), encoding="utf-8")


def _login(environment: Environment, config: TaskConfig, catalog: Catalog) -> str:
    """Make the task's login state; returns how: ``none``, ``made ahead`` or ``signed in``."""
    state = config.get("storage_state")
    if not state:
        return "none"
    if merge_saved_states(environment.auth_dir, Path(state)):
        return "made ahead"
    sign_in_all(
        [Path(state)], environment.addresses, catalog, context_options=environment.browser_options
    )
    return "signed in"


def _run_in_environment(
    environment: Environment,
    config: TaskConfig,
    settings: RunSettings,
    folder: Path,
    result: TaskResult,
    on_phase: PhaseCallback,
) -> None:
    task_id = result.task_id
    # Host ports as published (in routed mode the URLs keep the canonical ones).
    result.ports = {
        kind: urlsplit(address.origin).port or 0 for kind, address in environment.shared.items()
    }
    result.ports.update({kind: site.host_port for kind, site in environment.sites.items()})
    rewritten = rewrite_config(config, environment.addresses, auth_dir=environment.auth_dir)
    config_path = folder / "config.json"
    write_json(config_path, rewritten)

    on_phase(task_id, "login", "")
    mark = time.monotonic()
    result.details["login"] = _login(environment, rewritten, settings.catalog)
    result.timings_s["login"] = time.monotonic() - mark

    on_phase(task_id, "agent", settings.agent.name)
    mark = time.monotonic()
    context = TaskContext(
        task_id=task_id,
        config=rewritten,
        config_path=config_path,
        result_dir=folder,
        addresses=environment.addresses,
        catalog=settings.catalog,
        run_id=settings.run_id,
        model=settings.model,
        provider=settings.provider,
        timeout_s=settings.agent_timeout_s,
        browser_options=environment.browser_options,
    )
    outcome = settings.agent.run(context)
    result.timings_s["agent"] = time.monotonic() - mark
    result.status, result.answer, result.error = outcome.status, outcome.answer, outcome.error
    result.details.update(outcome.details)
    result.usage = dict(result.details.pop("usage", None) or {})
    result.steps = result.details.pop("steps", None)

    trouble = _environment_trouble(environment, folder)
    if trouble is not None:
        result.status, result.error = "error", trouble

    # Scoring reads the live sites (program_html), so it runs here, before teardown.
    on_phase(task_id, "evaluate", "")
    mark = time.monotonic()
    if result.status == "error":
        evaluation = not_scored("the environment failed during the task")
    elif settings.agent.name in AGENTS_WITHOUT_ANSWERS:
        evaluation = not_scored(f"the {settings.agent.name} agent answers no task")
    else:
        evaluation = evaluate_task(
            rewritten,
            answer=outcome.answer,
            last_url=outcome.details.get("last_url"),
            judge=settings.judge,
            browser_options=environment.browser_options,
        )
    result.timings_s["evaluate"] = time.monotonic() - mark
    result.score, result.evaluation = evaluation.score, evaluation.to_json()


def _from_pool(
    client: docker.DockerClient,
    settings: RunSettings,
    own: list[Any],
    on_phase: PhaseCallback,
    task_id: int,
) -> Environment | None:
    if not own:
        return None
    kinds = [spec.kind for spec in own]
    local = pool.for_run(settings.run_id)
    mark = time.monotonic()
    if local is not None and site_set_key(kinds) in local.site_sets:
        on_phase(task_id, "starting", "from pool")
        member: Environment | None = local.acquire(kinds, claimer=settings.run_id)
    elif settings.use_external_pools:
        on_phase(task_id, "starting", "")
        member = pool.claim_from_any(
            client,
            settings.catalog,
            kinds,
            claimer=settings.run_id,
            routed=settings.routed,
            url_host=settings.url_host,
        )
    else:
        return None
    if member is not None:
        member.timings["start_s"] = time.monotonic() - mark
    return member


def _environment_trouble(environment: Environment, folder: Path) -> str | None:
    """What went wrong with the environment itself, if anything: dead sites or no engine."""
    try:
        environment.client.ping()
    except (docker.errors.APIError, requests.exceptions.RequestException):
        return "the Docker engine stopped answering during the task"
    dead = environment.dead_sites()
    if not dead:
        return None
    _save_site_logs(environment, folder)
    return "site container(s) stopped during the task: " + ", ".join(
        f"{kind} {state}" for kind, state in dead.items()
    )


def _start_fresh(
    client: docker.DockerClient,
    settings: RunSettings,
    own: list[Any],
    result: TaskResult,
    on_phase: PhaseCallback,
    tried: list[Environment],
) -> Environment:
    # A readiness timeout may be a slow host: retry on a fresh environment, never reuse one.
    for attempt in range(1, settings.start_attempts + 1):
        result.attempts = attempt
        on_phase(result.task_id, "starting", f"attempt {attempt}" if attempt > 1 else "")
        environment = Environment(
            client,
            task_id=result.task_id,
            specs=own,
            run_id=settings.run_id,
            bind_host=settings.bind_host,
            url_host=settings.url_host,
            routed=settings.routed,
        )
        tried.append(environment)
        try:
            return environment.start()
        except ReadinessTimeout as exc:
            if attempt == settings.start_attempts:
                raise
            logger.warning("task %s: %s; retrying on a fresh environment", result.task_id, exc)
    raise IsolationError(f"task {result.task_id} was given no start attempt")


def execute_task(
    client: docker.DockerClient,
    config: TaskConfig,
    settings: RunSettings,
    run_dir: Path,
    on_phase: PhaseCallback = _no_progress,
) -> TaskResult:
    """Run one task in its own environment and write its results; never raises for the task.

    Args:
        client: a Docker client for the engine the environment runs on.
        config: the original WebArena config.
        settings: the run's settings.
        run_dir: the run's results folder; the task writes ``task_<id>/`` below it.
        on_phase: called with ``(task_id, phase, detail)`` as the task moves on.

    Returns:
        The task's result (also written to ``task_<id>/result.json``).
    """
    task_id = int(config["task_id"])
    folder = task_dir(run_dir, task_id)
    folder.mkdir(parents=True, exist_ok=True)
    result = TaskResult(task_id, list(config.get("sites", [])), agent=settings.agent.name)
    result.node = socket.gethostname()
    started = time.monotonic()
    tried: list[Environment] = []
    environment: Environment | None = None
    try:
        specs = [settings.catalog.site(kind) for kind in result.sites]
        own = [spec for spec in specs if is_per_task(spec)]
        shared = shared_sites.for_run(
            client, settings.run_id, bind_host=settings.bind_host, url_host=settings.url_host
        ).addresses([spec for spec in specs if not is_per_task(spec)])
        need_mb = sum(spec.memory_estimate_mb for spec in own)
        gate = admission.gate(settings.memory_budget_mb)
        with gate.hold(need_mb, on_wait=lambda note: on_phase(task_id, "queued", note)):
            environment = _from_pool(client, settings, own, on_phase, task_id)
            if environment is not None:
                result.details["pool_hit"] = True
            else:
                environment = _start_fresh(client, settings, own, result, on_phase, tried)
            environment.shared = shared
            result.timings_s["start"] = environment.timings.get("start_s", 0.0)
            try:
                _run_in_environment(environment, config, settings, folder, result, on_phase)
            except IsolationError as exc:
                # A login or agent error is often only the symptom of a site that died, or of
                # an engine that went away (e.g. dockerd restarting).
                cause = _environment_trouble(environment, folder)
                if cause is None:
                    raise
                raise EnvironmentStartError(f"{cause}; then: {exc}", task_id=task_id) from None
            finally:
                on_phase(task_id, "teardown", "")
                environment.close()
    except IsolationError as exc:
        result.status, result.error = "error", str(exc)
        log_tail = getattr(exc, "log_tail", "")
        if log_tail:
            (folder / "site_error.log").write_text(log_tail, encoding="utf-8")
        logger.info("task %s error: %s", task_id, exc)
    except Exception as exc:  # a harness bug must not take the other tasks down
        result.status, result.error = "error", f"{type(exc).__name__}: {exc}"
        logger.exception("task %s crashed", task_id)
    finally:
        environment = environment or (tried[-1] if tried else None)
        if environment is not None:
            environment.close()
            result.timings_s["teardown"] = environment.timings.get("teardown_s", 0.0)
            write_json(folder / "environment.json", environment.describe())
        result.timings_s["total"] = time.monotonic() - started
        write_task_result(run_dir, result)
        on_phase(task_id, result.status, result.error or "")
    return result


def prepare_run_dir(results_root: Path, settings: RunSettings) -> Path:
    """Create ``<root>/<timestamp>_<provider>_<model>/`` for a new run."""
    started = datetime.now()
    run_dir = results_root / run_dir_name(started, settings.provider, settings.model)
    while run_dir.exists():
        started = datetime.fromtimestamp(started.timestamp() + 1)
        run_dir = results_root / run_dir_name(started, settings.provider, settings.model)
    run_dir.mkdir(parents=True)
    return run_dir


def run_info(settings: RunSettings, backend: str, started: datetime) -> dict[str, Any]:
    """The run facts that head ``summary.json``."""
    return {
        "run_id": settings.run_id,
        "model": settings.model,
        "provider": settings.provider,
        "agent": settings.agent.name,
        "catalog": settings.catalog.name,
        "backend": backend,
        "max_workers": settings.max_workers,
        "started": started.astimezone(timezone.utc).isoformat(),
    }


def finish_run(
    run_dir: Path,
    results: list[TaskResult],
    info: dict[str, Any],
    *,
    started_monotonic: float,
) -> dict[str, Any]:
    """Write the summary of a run and return it."""
    info = dict(info)
    info["finished"] = datetime.now(timezone.utc).isoformat()
    info["wall_s"] = round(time.monotonic() - started_monotonic, 3)
    summary = build_summary(results, info)
    write_summary(run_dir, summary)
    return summary


def interrupted_result(config: TaskConfig, settings: RunSettings) -> TaskResult:
    """The result of a task that never started because the run was stopped."""
    return TaskResult(
        int(config["task_id"]),
        list(config.get("sites", [])),
        status="interrupted",
        error="run stopped before this task started",
        agent=settings.agent.name,
    )


class StopFlag:
    """Set once to stop starting tasks; set twice means tear down now."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.hard = threading.Event()

    def request(self) -> None:
        """Record one more stop request."""
        if self.requested.is_set():
            self.hard.set()
        self.requested.set()
