"""The Ray cluster as this library sees it: connecting, nodes with Docker slots, a status view.

A node offers itself for environments by advertising the custom resource ``docker_env``: how
many environments it can hold at once, sized to its memory (``ray start ... --resources
'{"docker_env": 3}'``). Every node uses its own local Docker engine.

:class:`LocalCluster` starts a cluster of several nodes on this machine; it exists for tests
and benchmarks, nothing in a run starts Ray by itself.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from webarena_isolation.errors import ClusterError, IsolationError

logger = logging.getLogger(__name__)

RESOURCE = "docker_env"
NAMESPACE = "webarena-isolation"
NODE_CALL_TIMEOUT_S = 120.0
PROBE_TIMEOUT_S = 5.0
PR_SET_PDEATHSIG = 1
START_HINT = (
    "start a head with `ray start --head --resources '{\"docker_env\": 3}'` and pass its "
    "address with --ray-address (or set RAY_ADDRESS)"
)


def import_ray() -> ModuleType:
    """Import Ray on first use, so the package works without it.

    Raises:
        ClusterError: Ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise ClusterError(
            "the ray backend needs Ray, which is not installed",
            hint="install it with `pip install 'webarena-isolation[ray]'`",
        ) from None
    return ray


def connect(address: str | None) -> bool:
    """Attach this process to a running cluster as its driver; never starts one.

    Args:
        address: ``host:port`` of the head's GCS; ``None`` means ``$RAY_ADDRESS`` or the
            cluster ``ray start`` made on this machine.

    Returns:
        True when this call connected (the caller should disconnect), False when this
        process was connected already.

    Raises:
        ClusterError: no cluster answers there.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    given = address or os.environ.get("RAY_ADDRESS")
    if given and given not in ("auto", "local"):
        _probe(given)
    try:
        ray.init(
            address=address or "auto",
            namespace=NAMESPACE,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = address or os.environ.get("RAY_ADDRESS") or "auto"
        raise ClusterError(f"no Ray cluster answers at {where} ({exc})", hint=START_HINT) from None
    return True


def _probe(address: str) -> None:
    # Ray keeps retrying an address where nothing listens for many minutes; fail at once.
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--ray-address {address!r} is not host:port", hint=START_HINT)
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        raise ClusterError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc})", hint=START_HINT
        ) from None


def disconnect() -> None:
    """Leave the cluster (the cluster itself keeps running)."""
    ray = import_ray()
    if ray.is_initialized():
        ray.shutdown()


@dataclass(frozen=True)
class NodeInfo:
    """A live node that offers Docker slots."""

    node_id: str
    ip: str
    hostname: str
    slots: int
    resources: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How the node is named in messages: address and short id."""
        return f"{self.ip} ({self.node_id[:8]})"


def docker_nodes() -> list[NodeInfo]:
    """The live nodes of the connected cluster that advertise ``docker_env`` slots."""
    ray = import_ray()
    nodes = []
    for node in ray.nodes():
        slots = int(node.get("Resources", {}).get(RESOURCE, 0))
        if node.get("Alive") and slots > 0:
            nodes.append(
                NodeInfo(
                    node_id=node["NodeID"],
                    ip=node.get("NodeManagerAddress", "?"),
                    hostname=node.get("NodeManagerHostname", "?"),
                    slots=slots,
                    resources=dict(node.get("Resources", {})),
                )
            )
    return sorted(nodes, key=lambda n: (n.ip, n.node_id))


def free_slots() -> dict[str, int] | None:
    """Free ``docker_env`` slots per node id, or ``None`` if this Ray can't tell."""
    import_ray()
    try:
        from ray._private.state import available_resources_per_node  # a DeveloperAPI
    except ImportError:
        return None
    return {
        node_id: int(resources.get(RESOURCE, 0))
        for node_id, resources in available_resources_per_node().items()
    }


def on_each_node(
    function: Callable[..., Any],
    nodes: Sequence[NodeInfo],
    *args: Any,
    timeout_s: float = NODE_CALL_TIMEOUT_S,
) -> dict[str, Any]:
    """Run ``function(*args)`` once on each node, outside its slots; results by node id.

    The call takes no CPU and no ``docker_env`` slot, so it runs at once even on a full node.
    A node that fails or doesn't answer in time maps to the exception (a ``ClusterError`` for
    a timeout) instead of a result.
    """
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    remote = ray.remote(function)
    refs = {
        node.node_id: remote.options(
            num_cpus=0,
            max_retries=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
        ).remote(*args)
        for node in nodes
    }
    ready, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout_s)
    answered = set(ready)
    out: dict[str, Any] = {}
    for node_id, ref in refs.items():
        if ref not in answered:
            ray.cancel(ref, force=True)
            out[node_id] = ClusterError(f"node {node_id[:8]} did not answer in {timeout_s:.0f} s")
            continue
        try:
            out[node_id] = ray.get(ref)
        except ray.exceptions.RayError as exc:
            out[node_id] = exc
    return out


def describe_node() -> dict[str, Any]:
    """Runs on a node: its host name, its engine's id and the environments running there."""
    from webarena_isolation import engine
    from webarena_isolation.cleanup import live_environments

    report: dict[str, Any] = {"hostname": socket.gethostname(), "engine_id": None}
    try:
        client = engine.connect(timeout=20)
        report["engine_id"] = client.info().get("ID")
        report["environments"] = live_environments(client)
    except IsolationError as exc:
        report["error"] = str(exc)
        report["environments"] = []
    return report


def cluster_status(address: str | None) -> dict[str, Any]:
    """Nodes, their slots and the environments running on each node's engine.

    Nodes that share one engine (several nodes on one machine) see the same environments;
    ``shares_engine_with`` names them.

    Raises:
        ClusterError: no cluster answers at ``address``.
    """
    connected_here = connect(address)
    try:
        nodes = docker_nodes()
        free = free_slots()
        reports = on_each_node(describe_node, nodes)
        by_engine: dict[str, list[str]] = {}
        for node_id, report in reports.items():
            if isinstance(report, dict) and report.get("engine_id"):
                by_engine.setdefault(report["engine_id"], []).append(node_id)
        rows = []
        for node in nodes:
            report = reports.get(node.node_id)
            row: dict[str, Any] = {
                "node_id": node.node_id,
                "ip": node.ip,
                "hostname": node.hostname,
                "slots": node.slots,
                "free_slots": None if free is None else free.get(node.node_id, 0),
            }
            if isinstance(report, dict):
                row["engine_id"] = report.get("engine_id")
                row["environments"] = report.get("environments", [])
                row["shares_engine_with"] = [
                    other[:8]
                    for other in by_engine.get(report.get("engine_id") or "", [])
                    if other != node.node_id
                ]
                if report.get("error"):
                    row["error"] = report["error"]
            else:
                row["environments"] = []
                row["error"] = str(report)
            rows.append(row)
        return {
            "nodes": rows,
            "slots": sum(n.slots for n in nodes),
            "free_slots": None if free is None else sum(r["free_slots"] or 0 for r in rows),
        }
    finally:
        if connected_here:
            disconnect()


# -- a cluster on this machine, for tests and benchmarks -----------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ray_executable() -> str:
    beside = Path(sys.executable).with_name("ray")
    found = str(beside) if beside.is_file() else shutil.which("ray")
    if not found:
        raise ClusterError("no `ray` command found", hint="pip install 'webarena-isolation[ray]'")
    return found


@dataclass
class _Node:
    resources: dict[str, float]
    ip: str
    temp_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def output(self) -> Path:
        return self.temp_dir / "ray-start.out"


class LocalCluster:
    """Several Ray nodes on this machine, each one ``ray start --block`` process of its own.

    Each node listens on its own loopback address (127.0.0.2, .3, ...): Ray swaps 127.0.0.1
    and ``localhost`` for the machine's outward address, other loopback addresses it keeps,
    so all of the cluster's traffic stays on this machine's loopback. Every port is picked
    free, each node keeps its state in a private temp dir, and :meth:`stop` and
    :meth:`kill_node` end only the process groups this object started. A node also stops
    when the thread that started it ends, so start nodes from a thread that lives as long.

    Args:
        nodes: the custom resources of each node, head first, e.g.
            ``[{"docker_env": 3, "node_a": 1}, {"docker_env": 3, "node_b": 1}]``.
        num_cpus: CPUs each node advertises; our tasks ask for none, so keep it small.
        object_store_mb: each node's object store.
        start_timeout_s: how long a node may take to come up.
    """

    def __init__(
        self,
        nodes: Sequence[dict[str, float]],
        *,
        num_cpus: int = 1,
        object_store_mb: int = 256,
        start_timeout_s: float = 90.0,
    ) -> None:
        if not nodes:
            raise ClusterError("a local cluster needs at least one node")
        self.num_cpus = num_cpus
        self.object_store_mb = object_store_mb
        self.start_timeout_s = start_timeout_s
        self.root = Path(tempfile.mkdtemp(prefix="wai-ray-"))
        self.port = _free_port()
        self._planned = list(nodes)
        self.nodes: list[_Node] = []

    @property
    def address(self) -> str:
        """The head's GCS address, for ``ray.init`` and ``--ray-address``."""
        return f"127.0.0.2:{self.port}"

    def __enter__(self) -> LocalCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> LocalCluster:
        """Start the head, then every worker; returns when each says it runs.

        Raises:
            ClusterError: a node exited or did not come up in time (with its output).
        """
        for resources in self._planned:
            self.add_node(resources)
        return self

    def add_node(self, resources: dict[str, float]) -> int:
        """Start one more node (the first one is the head); returns its index."""
        index = len(self.nodes)
        node = _Node(dict(resources), f"127.0.0.{index + 2}", self.root / f"n{index}")
        node.temp_dir.mkdir()
        self.nodes.append(node)
        argv = [
            _ray_executable(),
            "start",
            "--block",
            f"--node-ip-address={node.ip}",
            f"--num-cpus={self.num_cpus}",
            f"--resources={json.dumps(node.resources)}",
            f"--object-store-memory={self.object_store_mb * 1024 * 1024}",
            f"--temp-dir={node.temp_dir}",
            f"--dashboard-agent-listen-port={_free_port()}",
            "--disable-usage-stats",
        ]
        if index == 0:
            argv += [
                "--head",
                f"--port={self.port}",
                f"--ray-client-server-port={_free_port()}",
                f"--dashboard-port={_free_port()}",
                "--include-dashboard=false",
            ]
        else:
            argv.append(f"--address={self.address}")
        with node.output.open("wb") as out:
            # A session of its own: Ctrl-C on the caller doesn't reach it, and its process
            # group is exactly this node's processes.
            node.process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_stop_with_parent,  # noqa: PLW1509 (one foreign call, no lock)
            )
        self._wait_started(node)
        logger.info("ray node %s started at %s", index, node.ip)
        return index

    def _wait_started(self, node: _Node) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            text = node.output.read_text(encoding="utf-8", errors="replace")
            if "will now block" in text:
                return
            if node.process is not None and node.process.poll() is not None:
                break
            time.sleep(0.3)
        tail = "\n".join(node.output.read_text(errors="replace").splitlines()[-15:])
        raise ClusterError(f"ray node at {node.ip} did not start:\n{tail}")

    def kill_node(self, index: int) -> None:
        """End node ``index`` at once with SIGKILL, as if its machine lost power."""
        node = self.nodes[index]
        if node.process is not None:
            _signal_group(node.process.pid, signal.SIGKILL)
            node.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop every node this object started (workers first) and remove their temp dirs."""
        for node in reversed(self.nodes):
            if node.process is None:
                continue
            pgid = node.process.pid
            if node.process.poll() is None:
                node.process.terminate()
                try:
                    node.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            # Whatever of the node outlived its `ray start` (a worker, an agent) goes too.
            _signal_group(pgid, signal.SIGKILL)
            if node.process.poll() is None:
                node.process.wait(timeout=10)
        self.nodes.clear()
        shutil.rmtree(self.root, ignore_errors=True)


# Looked up once here: the child between fork and exec only makes the call.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _stop_with_parent() -> None:
    # If the process that started the node dies without stop() (SIGKILL, a crashed test), the
    # kernel sends `ray start --block` SIGTERM and it takes its node down.
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def wait_for_nodes(count: int, *, timeout_s: float = 60.0) -> list[NodeInfo]:
    """Wait until the connected cluster has ``count`` live nodes with slots.

    Raises:
        ClusterError: they didn't all show up in time.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        nodes = docker_nodes()
        if len(nodes) >= count:
            return nodes
        if time.monotonic() > deadline:
            raise ClusterError(f"{len(nodes)} of {count} Ray nodes with slots after {timeout_s} s")
        time.sleep(0.5)


def wait_for_node_gone(node_ip: str, *, timeout_s: float = 90.0) -> None:
    """Wait until the cluster no longer counts the node at ``node_ip`` as alive.

    Raises:
        ClusterError: it still counts as alive after ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    while any(n.ip == node_ip for n in docker_nodes()):
        if time.monotonic() > deadline:
            raise ClusterError(f"node {node_ip} still alive after {timeout_s} s")
        time.sleep(0.5)
