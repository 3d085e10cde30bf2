"""Running tasks on a Ray cluster: each on a node with Docker slots, its results sent back.

Every WebArena task becomes one Ray task that asks for one ``docker_env`` slot (see
:mod:`webarena_isolation.cluster`). On the node Ray picks, it connects to that node's own
engine, runs :func:`~webarena_isolation.runner.execute_task` — the code path the local backend
runs — into a node-local folder, packs the task's folder as tar bytes and returns them with its
result; the driver unpacks them into the run's folder. The agent runs on the same node as its
environment, so site URLs stay ``127.0.0.1``.

A node that dies mid-task takes the task's worker with it; Ray runs the task again elsewhere
(``max_retries``), on a fresh environment with a new env id, and only the attempt that
finishes sends a folder back. What the dead attempt left on its node's engine carries the run
id and a dead owner pid: the sweep at the end of the run (on every live node), the next run's
check of that node (``reap_orphans``) or ``webarena-isolation cleanup --run ID`` there
removes it.
"""

from __future__ import annotations

import io
import logging
import pickle
import shutil
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from webarena_isolation import engine
from webarena_isolation.catalog import Catalog
from webarena_isolation.cleanup import reap_orphans, remove_leftovers
from webarena_isolation.cluster import (
    RESOURCE,
    ClusterError,
    NodeInfo,
    connect,
    disconnect,
    docker_nodes,
    import_ray,
    on_each_node,
)
from webarena_isolation.errors import EngineError, ImageMissingError, IsolationError
from webarena_isolation.results import TaskResult, task_dir, write_task_result
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
RELAY_TIMEOUT_S = 5.0
MAX_RETRIES = 2
NODE_LOG = "node.log"
PlacedCallback = Callable[[int, str], None]


def staging_root(run_id: str) -> Path:
    """Where a node keeps a run's task folders until they are sent back."""
    return Path(tempfile.gettempdir()) / "webarena-isolation-ray" / run_id


# -- on the node ---------------------------------------------------------------------------


class PhaseRelay:
    """Carries progress from the nodes to the driver (a Ray actor on the driver's node).

    Nodes call :meth:`push` and :meth:`placed` without waiting; the driver calls
    :meth:`drain` in its loop. It runs threaded: an in-order actor waits for every caller's
    next message, and a caller on a node that died never sends it.
    """

    def __init__(self) -> None:
        self.events: list[tuple[float, str, int, str, str]] = []
        self.lock = threading.Lock()

    def push(self, sent: float, task_id: int, phase: str, detail: str) -> None:
        """A task entered ``phase`` (``sent``: the node's clock, to put events in order)."""
        with self.lock:
            self.events.append((sent, "phase", task_id, phase, detail))

    def placed(self, sent: float, task_id: int, node_id: str) -> None:
        """An attempt of a task began on ``node_id``."""
        with self.lock:
            self.events.append((sent, "placed", task_id, node_id, ""))

    def drain(self) -> list[tuple[float, str, int, str, str]]:
        """Everything pushed since the last call, oldest first."""
        with self.lock:
            events, self.events = self.events, []
        return sorted(events)


@dataclass
class NodeOutcome:
    """What one finished attempt sends back: the result and the task's folder as tar bytes."""

    result: TaskResult
    payload: bytes
    node_id: str
    pack_s: float = 0.0


def pack_folder(folder: Path) -> bytes:
    """The folder as an uncompressed tar (screenshots and traces are compressed already)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(folder, arcname=folder.name)
    return buffer.getvalue()


def unpack_folder(payload: bytes, run_dir: Path, task_id: int) -> Path:
    """Unpack a task's folder into ``run_dir``, replacing what was there.

    Raises:
        ClusterError: the archive holds anything outside ``task_<id>/``.
    """
    target = task_dir(run_dir, task_id)
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r") as archive:
        members = archive.getmembers()
        outside = [m.name for m in members if m.name.split("/", 1)[0] != target.name]
        if outside:
            raise ClusterError(
                f"the results of task {task_id} hold paths outside {target.name}/: {outside[:3]}"
            )
        if target.exists():
            shutil.rmtree(target)
        archive.extractall(run_dir, members=members, filter="data")
    return target


def _node_log(folder: Path) -> logging.Handler:
    handler = logging.FileHandler(folder / NODE_LOG, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


_CLIENT: list[docker.DockerClient] = []


def _node_client() -> docker.DockerClient:
    # One client per worker process: a run's shared sites, kept per process, hold on to it.
    if _CLIENT:
        try:
            _CLIENT[0].ping()
            return _CLIENT[0]
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            _CLIENT.clear()
    _CLIENT.append(engine.connect())
    return _CLIENT[0]


def run_on_node(config: TaskConfig, settings: RunSettings, relay: Any) -> NodeOutcome:
    """The Ray task: run one WebArena task on this node's engine and pack its folder.

    Raises:
        EngineError: this node's engine doesn't answer (Ray retries the task elsewhere).
    """
    ray = import_ray()
    node_id = ray.get_runtime_context().get_node_id()
    node_ip = ray.util.get_node_ip_address()
    task_id = int(config["task_id"])
    relay.placed.remote(time.time(), task_id, node_id)

    def on_phase(tid: int, phase: str, detail: str) -> None:
        where = f"on {node_ip}" + (f": {detail}" if detail else "")
        relay.push.remote(time.time(), tid, phase, where)

    on_phase(task_id, "starting", "")
    client = _node_client()
    root = staging_root(settings.run_id)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"task_{task_id}-", dir=root))
    folder = task_dir(staging, task_id)
    folder.mkdir()
    package_logger = logging.getLogger("webarena_isolation")
    previous_level = package_logger.level
    handler = _node_log(folder)
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    try:
        try:
            result = execute_task(client, config, settings, staging, on_phase)
        finally:
            package_logger.removeHandler(handler)
            package_logger.setLevel(previous_level)
            handler.close()
        result.node = node_id
        result.details["ray"] = {
            "node_id": node_id,
            "node_ip": node_ip,
            "hostname": socket.gethostname(),
        }
        write_task_result(staging, result)
        mark = time.monotonic()
        payload = pack_folder(folder)
        pack_s = time.monotonic() - mark
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return NodeOutcome(result, payload, node_id, pack_s)


def check_node(images: list[str], hints: dict[str, str]) -> dict[str, Any]:
    """Runs on each node before a run: engine up, images loaded, Chromium there; reaps orphans.

    Returns:
        ``{"hostname", "reaped", "problem"}``; ``problem`` is ``None`` when the node is fit.
    """
    from webarena_isolation.browser import chromium_path

    report: dict[str, Any] = {"hostname": socket.gethostname(), "reaped": [], "problem": None}
    try:
        client = engine.connect(timeout=30)
        try:
            engine.require_images(client, images, hints=hints)
            chromium_path()
            report["reaped"] = reap_orphans(client)
        finally:
            client.close()
    except IsolationError as exc:
        report["problem"] = str(exc)
        report["missing_images"] = getattr(exc, "images", [])
    return report


def sweep_node(run_id: str) -> dict[str, Any]:
    """Runs on each node after a run: remove the run's leftovers and its staging folder."""
    client = engine.connect(timeout=30)
    try:
        found = remove_leftovers(client, run_id).to_json()
    finally:
        client.close()
    root = staging_root(run_id)
    if root.exists():
        found["folders"].append(str(root))
        shutil.rmtree(root, ignore_errors=True)
    return found


# -- on the driver -------------------------------------------------------------------------


def _images_of(configs: list[TaskConfig], catalog: Catalog) -> tuple[list[str], dict[str, str]]:
    kinds = sorted({kind for c in configs for kind in c.get("sites", [])})
    images = catalog.images(kinds)
    hints = {catalog.site(k).image: catalog.site(k).load_hint for k in kinds}
    return images, hints


def preflight(nodes: list[NodeInfo], configs: list[TaskConfig], catalog: Catalog) -> None:
    """Check every node before anything starts; remove what dead runs left on them.

    Raises:
        ImageMissingError: a node lacks an image the tasks need (naming the node).
        ClusterError: a node's engine, Chromium or Ray worker is not usable.
    """
    images, hints = _images_of(configs, catalog)
    reports = on_each_node(check_node, nodes, images, hints)
    problems = []
    for node in nodes:
        report = reports.get(node.node_id)
        if not isinstance(report, dict):
            problems.append(f"{node.label}: {report}")
            continue
        if report.get("reaped"):
            logger.warning(
                "node %s: removed leftovers of dead runs %s", node.label, report["reaped"]
            )
        if report.get("missing_images"):
            how = "; ".join(hints.get(i) or f"load {i}" for i in report["missing_images"])
            raise ImageMissingError(report["missing_images"], hint=f"on node {node.label}: {how}")
        if report.get("problem"):
            problems.append(f"{node.label}: {report['problem']}")
    if problems:
        raise ClusterError(
            "node(s) not fit for environments: " + " | ".join(problems),
            hint="fix them or stop their Ray node; each node needs Docker, the images, Chromium",
        )


def _nodes_with_slots() -> list[NodeInfo]:
    nodes = docker_nodes()
    if not nodes:
        raise ClusterError(
            f"no live node of the Ray cluster advertises {RESOURCE} slots",
            hint="start nodes with `ray start ... --resources '{\"docker_env\": 3}'`",
        )
    return nodes


def check_cluster(
    configs: list[TaskConfig], catalog: Catalog, *, address: str | None
) -> list[NodeInfo]:
    """Connect to the cluster and check every node for these tasks; stays connected.

    Call it before making a run's folder, so a run that can't start leaves nothing behind;
    then :func:`run_ray` with ``check=False``, and :func:`~webarena_isolation.cluster.disconnect`
    at the end.

    Raises:
        ClusterError: no cluster, no node with slots, or a node unfit (disconnected then).
        ImageMissingError: a node lacks an image (disconnected then).
    """
    connected_here = connect(address)
    try:
        nodes = _nodes_with_slots()
        preflight(nodes, configs, catalog)
    except IsolationError:
        if connected_here:
            disconnect()
        raise
    return nodes


def sweep_nodes(run_id: str) -> dict[str, dict[str, Any]]:
    """Remove a run's leftovers on every live node; what each node removed, by node id."""
    reports = on_each_node(sweep_node, docker_nodes(), run_id)
    out: dict[str, dict[str, Any]] = {}
    for node_id, report in reports.items():
        if isinstance(report, dict):
            out[node_id] = report
        else:
            logger.warning("sweeping run %s on node %s failed: %s", run_id, node_id[:8], report)
            out[node_id] = {"error": str(report)}
    return out


@dataclass
class _Flight:
    config: TaskConfig
    submitted: float
    nodes: list[str] = field(default_factory=list)


def _lost_result(
    config: TaskConfig, settings: RunSettings, flight: _Flight, exc: Any
) -> TaskResult:
    ray = import_ray()
    result = interrupted_result(config, settings)
    if isinstance(exc, ray.exceptions.TaskCancelledError):
        result.error = "stopped while running on the cluster"
    else:
        cause = getattr(exc, "cause", None) or exc
        result.status = "error"
        result.error = (
            f"the Ray task failed after {max(1, len(flight.nodes))} attempt(s) "
            f"({type(cause).__name__}: {str(cause).strip().splitlines()[-1][:300]}); what it left "
            f"on a node is removed by `webarena-isolation cleanup --run {settings.run_id}` there"
        )
    result.node = flight.nodes[-1] if flight.nodes else None
    result.details["ray"] = {"attempt_nodes": list(flight.nodes)}
    return result


def run_ray(
    configs: list[TaskConfig],
    settings: RunSettings,
    run_dir: Path,
    *,
    on_phase: PhaseCallback,
    stop: StopFlag | None = None,
    address: str | None = None,
    max_retries: int = MAX_RETRIES,
    sweep: bool = True,
    check: bool = True,
    on_placed: PlacedCallback | None = None,
) -> list[TaskResult]:
    """Run every task on the cluster, one ``docker_env`` slot each; results land in ``run_dir``.

    At most as many tasks are in flight as the cluster has slots, so a stop request leaves the
    rest untouched (``interrupted``); a second one cancels the running ones, which tear down.

    Args:
        configs: the original task configs.
        settings: the run's settings (sent to every node; must pickle).
        run_dir: the driver's results folder for the run.
        on_phase: progress, as in the local backend; details say which node.
        stop: the run's stop flag.
        address: the head's address; ``None`` for ``$RAY_ADDRESS`` or this machine's cluster.
        max_retries: how often Ray runs a task again after its node or worker died.
        sweep: remove the run's leftovers on every live node at the end.
        check: check the nodes first (:func:`check_cluster` did it already if False).
        on_placed: called with ``(task_id, node_id)`` whenever an attempt begins on a node.

    Returns:
        One result per task; each task's folder (with ``result.json``) is in ``run_dir``.

    Raises:
        ClusterError: no cluster, no node with slots, a node unfit, settings that don't pickle.
        ImageMissingError: a node lacks an image; nothing was started.
    """
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    stop = stop or StopFlag()
    connected_here = connect(address)
    relay: Any = None
    try:
        if check:
            preflight(_nodes_with_slots(), configs, settings.catalog)
        try:
            settings_ref = ray.put(settings)
        except (TypeError, ValueError, AttributeError, pickle.PicklingError) as exc:
            raise ClusterError(
                f"the run's settings can't be sent to the cluster ({exc})",
                hint="agents and catalogs must be picklable",
            ) from None
        here = ray.get_runtime_context().get_node_id()
        relay = (
            ray.remote(PhaseRelay)
            .options(
                num_cpus=0,
                max_concurrency=4,
                scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=True),
            )
            .remote()
        )
        task = ray.remote(run_on_node).options(
            num_cpus=0,
            resources={RESOURCE: 1},
            max_retries=max_retries,
            retry_exceptions=[EngineError],
            scheduling_strategy="SPREAD",
        )
        return _drive(
            task, settings_ref, relay, configs, settings, run_dir, on_phase, stop, on_placed
        )
    finally:
        if relay is not None:
            ray.kill(relay)
        if sweep and relay is not None and ray.is_initialized():  # tasks may have started
            for node_id, found in sweep_nodes(settings.run_id).items():
                if any(found.get(k) for k in ("containers", "networks")):
                    logger.warning(
                        "node %s: swept leftovers of run %s: %s",
                        node_id[:8],
                        settings.run_id,
                        found,
                    )
        if connected_here:
            disconnect()


def _drive(
    task: Any,
    settings_ref: Any,
    relay: Any,
    configs: list[TaskConfig],
    settings: RunSettings,
    run_dir: Path,
    on_phase: PhaseCallback,
    stop: StopFlag,
    on_placed: PlacedCallback | None,
) -> list[TaskResult]:
    ray = import_ray()
    pending = list(configs)
    running: dict[Any, _Flight] = {}
    by_task: dict[int, _Flight] = {}
    results: list[TaskResult] = []
    cancelled = False

    finished: set[int] = set()
    asked: list[Any] = []  # the one drain call in flight: a second would swallow events

    def relay_events(wait_s: float = 0.0) -> None:
        if not asked:
            asked.append(relay.drain.remote())
        ready, _ = ray.wait(asked, timeout=wait_s)
        if not ready:
            return
        try:
            events = ray.get(asked.pop())
        except ray.exceptions.RayError as exc:
            logger.debug("progress relay unavailable: %s", exc)
            return
        for _, kind, task_id, first, second in events:
            if kind == "placed":
                if task_id in by_task:
                    by_task[task_id].nodes.append(first)
                if on_placed is not None:
                    on_placed(task_id, first)
            elif task_id not in finished:
                on_phase(task_id, first, second)

    while pending or running:
        if pending and not stop.requested.is_set():
            capacity = max(1, int(ray.cluster_resources().get(RESOURCE, 0)))
            while pending and len(running) < capacity:
                config = pending.pop(0)
                flight = _Flight(config, time.monotonic())
                running[task.remote(config, settings_ref, relay)] = flight
                by_task[int(config["task_id"])] = flight
        if stop.requested.is_set() and pending:
            for config in pending:
                result = interrupted_result(config, settings)
                write_task_result(run_dir, result)
                results.append(result)
                on_phase(result.task_id, "interrupted", "")
            pending.clear()
        if stop.hard.is_set() and not cancelled:
            cancelled = True
            for ref in running:
                ray.cancel(ref)  # raises KeyboardInterrupt in the task: its teardown runs
        if not running:
            break
        ready, _ = ray.wait(list(running), num_returns=len(running), timeout=POLL_S)
        relay_events()
        for ref in ready:
            flight = running.pop(ref)
            results.append(_collect(ref, flight, settings, run_dir))
            finished.add(results[-1].task_id)
            on_phase(results[-1].task_id, results[-1].status, results[-1].error or "")
    relay_events(RELAY_TIMEOUT_S)
    return results


def _collect(ref: Any, flight: _Flight, settings: RunSettings, run_dir: Path) -> TaskResult:
    ray = import_ray()
    try:
        outcome: NodeOutcome = ray.get(ref)
    except ray.exceptions.RayError as exc:
        result = _lost_result(flight.config, settings, flight, exc)
        logger.warning("task %s: %s", result.task_id, result.error)
        write_task_result(run_dir, result)
        return result
    result = outcome.result
    mark = time.monotonic()
    try:
        unpack_folder(outcome.payload, run_dir, result.task_id)
    except (ClusterError, tarfile.TarError, OSError) as exc:
        result.status = "error"
        result.error = (
            f"the results sent back from node {outcome.node_id[:8]} can't be unpacked: {exc}"
        )
    unpack_s = time.monotonic() - mark
    roundtrip_s = time.monotonic() - flight.submitted
    result.details["ray"].update(
        {
            "attempt_nodes": list(flight.nodes) or [outcome.node_id],
            "roundtrip_s": round(roundtrip_s, 3),
            "overhead_s": round(roundtrip_s - result.timings_s.get("total", 0.0), 3),
            "pack_s": round(outcome.pack_s, 3),
            "unpack_s": round(unpack_s, 3),
            "payload_bytes": len(outcome.payload),
        }
    )
    write_task_result(run_dir, result)
    logger.info("task %s %s on node %s", result.task_id, result.status, outcome.node_id[:8])
    return result
