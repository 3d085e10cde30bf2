"""One task's private set of site containers: start, wait, reconfigure, tear down."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import docker
import docker.errors
import docker.types
import requests
from docker.models.containers import Container

from webarena_isolation import engine, subnets
from webarena_isolation.catalog import SiteSpec, render_template
from webarena_isolation.errors import (
    EngineError,
    EnvironmentStartError,
    ReadinessTimeout,
    ReconfigureError,
)
from webarena_isolation.readiness import HttpProbe, wait_until_ready
from webarena_isolation.rewrite import SiteAddress
from webarena_isolation.routing import RouteProxy

logger = logging.getLogger(__name__)

PORT_READBACK_TIMEOUT_S = 15.0
ENGINE_ATTEMPTS = 3
# What a call to an engine that is down or restarting raises.
ENGINE_TROUBLE = (docker.errors.APIError, requests.exceptions.RequestException)
LOG_TAIL_LINES = 40


def work_root() -> Path:
    """Where per-task private directories live (one folder per run below it)."""
    return Path(tempfile.gettempdir()) / "webarena-isolation"


@dataclass
class SiteInstance:
    """One running site of an environment."""

    spec: SiteSpec
    container: Container
    host_port: int
    address: SiteAddress
    timings: dict[str, float] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready view for ``environment.json``."""
        return {
            "kind": self.spec.kind,
            "image": self.spec.image,
            "container_id": self.container.id,
            "container_name": self.container.name,
            "container_port": self.spec.container_port,
            "host_port": self.host_port,
            "origin": self.address.origin,
            "url": self.address.url,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


class Environment:
    """A task's own network and one container per site, reconfigured to their new address.

    Use it as a context manager (or call :meth:`start` and :meth:`close`): a failed start
    tears down whatever it made before raising, and :meth:`close` removes containers, the
    network and the task's private directory whatever happened before.

    Args:
        client: a Docker client.
        task_id: the WebArena task id.
        specs: the site kinds this task needs.
        run_id: the id of the run, stamped on everything as a label.
        bind_host: the host interface ports are published on.
        shared: addresses of sites this task uses but doesn't own (shared, read-only).
        routed: keep every site on its canonical WebArena URL (no reconfiguration); the
            task's browser reaches its own containers through a routing proxy
            (:mod:`webarena_isolation.routing`).
        extra_labels: more labels for everything the environment makes (e.g. a pool's).
        url_host: the host name used in site URLs; may hold ``{site}`` and ``{task_id}``, e.g.
            ``{site}-t{task_id}.localhost`` gives every site a host of its own (Chromium
            resolves ``*.localhost`` to loopback), so sites that share a cookie name
            (Magento's and Postmill's ``PHPSESSID``) don't log each other out.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        task_id: int,
        specs: Sequence[SiteSpec],
        run_id: str,
        bind_host: str = "127.0.0.1",
        url_host: str = "127.0.0.1",
        shared: dict[str, SiteAddress] | None = None,
        routed: bool = False,
        extra_labels: dict[str, str] | None = None,
    ) -> None:
        self.client = client
        self.shared = dict(shared or {})
        self.routed = routed
        self.extra_labels = dict(extra_labels or {})
        self.task_id = task_id
        self.specs = list(specs)
        self.run_id = run_id
        self.bind_host = bind_host
        self.url_host = url_host
        self.env_id = secrets.token_hex(4)
        self.name = f"wai-{run_id}-t{task_id}-{self.env_id}"
        self.sites: dict[str, SiteInstance] = {}
        self.timings: dict[str, float] = {}
        self.state = "new"
        self.network: Any = None
        self.subnet: ipaddress.IPv4Network | None = None
        self.work_dir: Path | None = None
        self.proxy: RouteProxy | None = None
        self._containers: list[Container] = []

    @classmethod
    def adopt(
        cls, client: docker.DockerClient, env_id: str, specs: dict[str, SiteSpec]
    ) -> Environment:
        """Take over a started environment made by another process (e.g. a pool's).

        Args:
            env_id: the environment's ``env-id`` label.
            specs: site specs by kind, to rebuild the sites' addresses.

        Raises:
            EnvironmentStartError: it has no containers, or one lacks a published port.
        """
        label = {"label": [f"{engine.LABEL_ENV}={env_id}"]}
        containers = client.containers.list(all=True, filters=label)
        networks = client.networks.list(filters=label)
        if not containers or not networks:
            raise EnvironmentStartError(f"no environment with env-id {env_id} to adopt")
        labels = containers[0].labels
        kinds = [c.labels.get(engine.LABEL_SITE, "") for c in containers]
        environment = cls(
            client,
            task_id=int(labels.get(engine.LABEL_TASK, "0")),
            specs=[specs[kind] for kind in kinds],
            run_id=labels.get(engine.LABEL_RUN, "adopted"),
            url_host=labels.get(engine.LABEL_URL_HOST, "127.0.0.1"),
            routed=labels.get(engine.LABEL_ROUTED) == "true",
        )
        environment.env_id, environment.name = env_id, networks[0].name
        environment.network = networks[0]
        environment._containers = list(containers)
        work_dir = labels.get(engine.LABEL_WORK_DIR)
        environment.work_dir = Path(work_dir) if work_dir else None
        for container, kind in zip(containers, kinds):
            spec = specs[kind]
            port = environment._read_host_port(container, spec)
            origin = (
                spec.canonical_origin
                if environment.routed
                else f"http://{environment.host_name(spec)}:{port}"
            )
            address = SiteAddress(kind, origin, spec.site_url(origin), spec.canonical_origin)
            environment.sites[kind] = SiteInstance(spec, container, port, address)
        environment._start_proxy()
        environment.state = "started"
        return environment

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Environment:
        if self.state == "new":
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> Environment:
        """Bring every site up and point it at its new address.

        Raises:
            EnvironmentStartError: a site could not be created, became ready or reconfigured.
            EngineError: the engine refused a call.
        """
        if self.state != "new":
            raise EnvironmentStartError(f"environment {self.name} was already {self.state}")
        self.state = "starting"
        started = time.monotonic()
        logger.info(
            "environment %s starting: %s", self.name, ", ".join(s.kind for s in self.specs)
        )
        try:
            self._make_work_dir()
            mark = time.monotonic()
            self._make_network()
            self.timings["network_s"] = time.monotonic() - mark
            with ThreadPoolExecutor(max_workers=max(1, len(self.specs))) as pool:
                instances = list(pool.map(self._bring_up, self.specs))
            self.sites = {instance.spec.kind: instance for instance in instances}
            self._start_proxy()
        except BaseException:
            self.close()
            raise
        self.timings["start_s"] = time.monotonic() - started
        self.state = "started"
        logger.info(
            "environment %s ready in %.1f s: %s",
            self.name,
            self.timings["start_s"],
            ", ".join(f"{k}={s.address.origin}" for k, s in self.sites.items()),
        )
        return self

    def close(self) -> None:
        """Remove containers, network and private directory. Safe to call more than once."""
        if self.state == "closed":
            return
        started = time.monotonic()
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
        if self._containers:
            with ThreadPoolExecutor(max_workers=len(self._containers)) as pool:
                list(pool.map(self._remove_container, self._containers))
        if self.network is not None:
            try:
                self.network.remove()
            except docker.errors.NotFound:
                pass
            except ENGINE_TROUBLE as exc:
                logger.warning("could not remove network %s: %s", self.name, exc)
        if self.subnet is not None:
            subnets.allocator().release(self.subnet)
            self.subnet = None
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            try:
                self.work_dir.parent.rmdir()  # the run's folder, once its last task is gone
            except OSError:
                pass
        self.timings["teardown_s"] = time.monotonic() - started
        self.state = "closed"
        logger.info("environment %s removed in %.2f s", self.name, self.timings["teardown_s"])

    # -- what callers read -----------------------------------------------------------------

    @property
    def addresses(self) -> dict[str, SiteAddress]:
        """Where each site lives, keyed by kind (shared sites included)."""
        own = {kind: site.address for kind, site in self.sites.items()}
        return {**self.shared, **own}

    @property
    def auth_dir(self) -> Path:
        """The task's private directory for login state (mode 0700)."""
        if self.work_dir is None:
            raise EnvironmentStartError(f"environment {self.name} has not been started")
        return self.work_dir / ".auth"

    @property
    def browser_options(self) -> dict[str, Any]:
        """Keyword arguments every browser context of this task needs (routing, if any)."""
        return self.proxy.context_options() if self.proxy is not None else {}

    def _start_proxy(self) -> None:
        if self.routed and self.sites:
            self.proxy = RouteProxy(
                {
                    urlsplit(site.spec.canonical_origin).netloc: ("127.0.0.1", site.host_port)
                    for site in self.sites.values()
                }
            )

    def describe(self) -> dict[str, Any]:
        """A JSON-ready view of the environment for ``environment.json``."""
        return {
            "name": self.name,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "network": self.name,
            "state": self.state,
            "routed": self.routed,
            "proxy": self.proxy.url if self.proxy is not None else None,
            "sites": {kind: site.describe() for kind, site in self.sites.items()},
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def dead_sites(self) -> dict[str, str]:
        """Sites whose container is no longer running, with its status and exit code."""
        dead = {}
        for kind, site in self.sites.items():
            try:
                site.container.reload()
            except docker.errors.NotFound:
                dead[kind] = "removed"
                continue
            except ENGINE_TROUBLE as exc:
                # A busy engine is not a dead site; only a definite answer counts.
                logger.warning("could not check %s of %s: %s", kind, self.name, exc)
                continue
            if site.container.status != "running":
                code = site.container.attrs.get("State", {}).get("ExitCode")
                dead[kind] = f"{site.container.status} (exit {code})"
        return dead

    def log_tail(self, kind: str, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of a site container's log."""
        site = self.sites.get(kind)
        container = site.container if site else None
        return _log_tail(container, lines) if container else ""

    # -- steps -----------------------------------------------------------------------------

    def labels(self, site: str | None = None) -> dict[str, str]:
        """The labels stamped on this environment's containers and network."""
        labels = {
            engine.LABEL_MANAGED: "true",
            engine.LABEL_RUN: self.run_id,
            engine.LABEL_TASK: str(self.task_id),
            engine.LABEL_ENV: self.env_id,
            engine.LABEL_CREATED: str(int(time.time())),
            engine.LABEL_OWNER_PID: str(os.getpid()),
            engine.LABEL_OWNER_HOST: socket.gethostname(),
            engine.LABEL_URL_HOST: self.url_host,
            engine.LABEL_ROUTED: str(self.routed).lower(),
        }
        if site is not None:
            labels[engine.LABEL_SITE] = site
        if self.work_dir is not None:
            labels[engine.LABEL_WORK_DIR] = str(self.work_dir)
        labels.update(self.extra_labels)
        return labels

    def host_name(self, spec: SiteSpec) -> str:
        """The host part of a site's URLs (see ``url_host``)."""
        site = spec.kind.replace("_", "-")
        return render_template(self.url_host, {"site": site, "task_id": self.task_id})

    def _make_work_dir(self) -> None:
        run_dir = work_root() / self.run_id
        run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.work_dir = Path(tempfile.mkdtemp(prefix=f"task_{self.task_id}-", dir=run_dir))
        os.chmod(self.work_dir, 0o700)
        (self.work_dir / ".auth").mkdir(mode=0o700)

    def _by_label(self, collection: Any, site: str | None = None) -> Any:
        labels = [f"{engine.LABEL_ENV}={self.env_id}"]
        if site is not None:
            labels.append(f"{engine.LABEL_SITE}={site}")
        found = collection.list(all=True, filters={"label": labels}) if site else (
            collection.list(filters={"label": labels})
        )
        return found[0] if found else None

    def _idempotent(self, what: str, create: Any, lookup: Any) -> Any:
        # An engine call that times out may still have happened: look before making again.
        for attempt in range(1, ENGINE_ATTEMPTS + 1):
            try:
                return create()
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                existing = lookup()
                if existing is not None:
                    logger.warning("%s: engine call timed out but it exists; using it", what)
                    return existing
                if attempt == ENGINE_ATTEMPTS:
                    raise EngineError(
                        f"{what} for task {self.task_id}: the engine did not answer "
                        f"{ENGINE_ATTEMPTS} times ({exc})",
                        hint="check that dockerd is running and not overloaded",
                    ) from None
                logger.warning("%s: engine call timed out; retrying (%s)", what, exc)
        raise EngineError(f"{what}: no attempt made")  # only when ENGINE_ATTEMPTS < 1

    def _make_network(self) -> None:
        pool = subnets.allocator()
        for subnet in pool.candidates(self.client):
            pools = [docker.types.IPAMPool(subnet=str(subnet))]
            ipam = docker.types.IPAMConfig(pool_configs=pools)
            try:
                self.network = self._idempotent(
                    f"creating network {self.name}",
                    lambda: self.client.networks.create(
                        self.name,
                        driver="bridge",
                        ipam=ipam,
                        labels=self.labels(),
                        check_duplicate=True,
                    ),
                    lambda: self._by_label(self.client.networks),
                )
            except docker.errors.APIError as exc:
                pool.release(subnet)
                if subnets.is_overlap_error(exc):
                    logger.debug("subnet %s taken meanwhile; trying the next", subnet)
                    continue
                raise EngineError(
                    f"could not create network {self.name} for task {self.task_id}: {exc}"
                ) from None
            except BaseException:
                pool.release(subnet)
                raise
            self.subnet = subnet
            return
        raise EngineError(
            f"no free /{pool.prefix} subnet left in {pool.range} for task {self.task_id}",
            hint="set WAI_SUBNET_RANGE to a larger private range or lower --max-workers",
        )

    def _bring_up(self, spec: SiteSpec) -> SiteInstance:
        timings: dict[str, float] = {}
        started = time.monotonic()
        container = self._create_container(spec)
        host_port = self._read_host_port(container, spec)
        timings["create_s"] = time.monotonic() - started
        origin = (
            spec.canonical_origin if self.routed else f"http://{self.host_name(spec)}:{host_port}"
        )
        address = SiteAddress(spec.kind, origin, spec.site_url(origin), spec.canonical_origin)
        instance = SiteInstance(spec, container, host_port, address, timings)

        mark = time.monotonic()
        self._wait_ready(instance)
        timings["ready_s"] = time.monotonic() - mark
        if spec.reconfigure and not self.routed:
            mark = time.monotonic()
            self._reconfigure(instance)
            self._wait_ready(instance)
            timings["reconfigure_s"] = time.monotonic() - mark
        timings["total_s"] = time.monotonic() - started
        logger.info(
            "task %s %s ready on %s (%.1f s)", self.task_id, spec.kind, origin, timings["total_s"]
        )
        return instance

    def _create_container(self, spec: SiteSpec) -> Container:
        alias = spec.kind.replace("_", "-")
        name = f"{self.name}-{alias}"
        endpoint = self.client.api.create_endpoint_config(aliases=[alias])
        volumes = _volumes(spec, self.task_id)

        def create() -> Container:
            return self.client.containers.create(
                spec.image,
                command=list(spec.command) if spec.command else None,
                name=name,
                hostname=alias,
                labels=self.labels(spec.kind),
                environment=dict(spec.environment),
                ports={f"{spec.container_port}/tcp": (self.bind_host, None)},
                network=self.name,
                networking_config={self.name: endpoint},
                mem_limit=f"{spec.mem_limit_mb}m",
                nano_cpus=int(spec.cpus * 1e9),
                shm_size=f"{spec.shm_size_mb}m" if spec.shm_size_mb else None,
                volumes=volumes or None,
                detach=True,
            )

        try:
            container = self._idempotent(
                f"creating {name}",
                create,
                lambda: self._by_label(self.client.containers, spec.kind),
            )
        except docker.errors.ImageNotFound:
            raise EnvironmentStartError(
                f"image {spec.image} for {spec.kind} is not loaded",
                site=spec.kind,
                task_id=self.task_id,
                hint=spec.load_hint or None,
            ) from None
        except docker.errors.APIError as exc:
            raise EngineError(f"could not create {name}: {exc}") from None
        self._containers.append(container)
        try:
            container.start()
        except docker.errors.APIError as exc:
            raise EnvironmentStartError(
                f"{spec.kind} for task {self.task_id} did not start: {exc}",
                site=spec.kind,
                task_id=self.task_id,
            ) from None
        return container

    def _read_host_port(self, container: Container, spec: SiteSpec) -> int:
        # A container that has just started may list no ports for a moment.
        key = f"{spec.container_port}/tcp"
        deadline = time.monotonic() + PORT_READBACK_TIMEOUT_S
        while True:
            container.reload()
            bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(key)
            ports = [int(b["HostPort"]) for b in bindings or [] if b.get("HostPort")]
            if ports:
                return ports[0]
            if container.status in ("exited", "dead"):
                raise self._exit_error(spec, container)
            if time.monotonic() > deadline:
                raise EnvironmentStartError(
                    f"{spec.kind} for task {self.task_id} has no host port for {key} "
                    f"(container {container.status})",
                    site=spec.kind,
                    task_id=self.task_id,
                    log_tail=_log_tail(container),
                )
            time.sleep(0.1)

    def _exit_error(self, spec: SiteSpec, container: Container) -> EnvironmentStartError:
        state = container.attrs.get("State", {})
        oom = bool(state.get("OOMKilled"))
        return EnvironmentStartError(
            f"{spec.kind} for task {self.task_id} exited with {state.get('ExitCode')}"
            + (" (out of memory)" if oom else "")
            + " before it was ready",
            site=spec.kind,
            task_id=self.task_id,
            log_tail=_log_tail(container),
            hint="raise mem_limit_mb in the catalog or lower --max-workers" if oom else None,
        )

    def _wait_ready(self, instance: SiteInstance) -> None:
        spec = instance.spec
        container = instance.container

        def still_alive() -> None:
            container.reload()
            if container.status in ("exited", "dead"):
                raise self._exit_error(spec, container)

        probe = HttpProbe("127.0.0.1", instance.host_port, spec.readiness)
        ready, detail, waited = wait_until_ready(
            probe,
            timeout=spec.readiness.timeout_s,
            interval_s=spec.readiness.interval_s,
            still_alive=still_alive,
        )
        if not ready:
            raise ReadinessTimeout(
                f"{spec.kind} for task {self.task_id} not ready on 127.0.0.1:{instance.host_port}"
                f" after {waited:.0f} s (last answer: {detail})",
                site=spec.kind,
                task_id=self.task_id,
                log_tail=_log_tail(container),
                hint="raise readiness.timeout_s in the catalog or lower --max-workers",
            )

    def _reconfigure(self, instance: SiteInstance) -> None:
        spec = instance.spec
        values: dict[str, object] = {
            "origin": instance.address.origin,
            "url": instance.address.url,
            "host": self.host_name(spec),
            "port": instance.host_port,
            "container_port": spec.container_port,
            "task_id": self.task_id,
        }
        for template in spec.reconfigure:
            command = render_template(template, values)
            status, output = instance.container.exec_run(["sh", "-c", command], demux=False)
            text = (output or b"").decode("utf-8", "replace")
            logger.debug("task %s %s ran %r: exit %s", self.task_id, spec.kind, command, status)
            if status != 0:
                raise ReconfigureError(
                    f"reconfiguring {spec.kind} for task {self.task_id} failed: {command!r} "
                    f"exited {status}",
                    site=spec.kind,
                    task_id=self.task_id,
                    command=command,
                    exit_status=int(status or -1),
                    output=text[-4000:],
                )

    def _remove_container(self, container: Container) -> None:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except ENGINE_TROUBLE as exc:
            if "already in progress" not in str(exc):
                logger.warning("could not remove container %s: %s", container.name, exc)


def _volumes(spec: SiteSpec, task_id: int) -> dict[str, dict[str, str]]:
    """The catalog's mounts as docker-py ``volumes``, with ``${VAR}`` sources expanded.

    Raises:
        EnvironmentStartError: a variable is unset or a host folder doesn't exist.
    """
    volumes: dict[str, dict[str, str]] = {}
    for mount in spec.mounts:
        source = os.path.expandvars(mount.source)
        if "$" in source:
            raise EnvironmentStartError(
                f"{spec.kind} mounts {mount.source!r} at {mount.target}, but it names an unset "
                "environment variable",
                site=spec.kind,
                task_id=task_id,
                hint=f"export the variable in {mount.source} (see the catalog's comments)",
            )
        # A relative name is a named volume to the engine; only host paths must exist here.
        if source.startswith("/") and not os.path.isdir(source):
            raise EnvironmentStartError(
                f"{spec.kind} mounts {source} at {mount.target}, but that folder doesn't exist",
                site=spec.kind,
                task_id=task_id,
                hint=f"point {mount.source} at the folder holding the site's data",
            )
        volumes[source] = {"bind": mount.target, "mode": "ro" if mount.read_only else "rw"}
    return volumes


def _log_tail(container: Container, lines: int = LOG_TAIL_LINES) -> str:
    try:
        raw = container.logs(tail=lines)
    except ENGINE_TROUBLE:
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def start_environment(
    client: docker.DockerClient,
    task_id: int,
    sites: Sequence[SiteSpec],
    *,
    run_id: str,
    bind_host: str = "127.0.0.1",
    url_host: str = "127.0.0.1",
) -> Environment:
    """Start and return a task's environment; use the result as a context manager.

    Raises:
        EnvironmentStartError: a site could not be brought up (nothing is left behind).
        EngineError: the engine refused a call (nothing is left behind).
    """
    environment = Environment(
        client, task_id=task_id, specs=sites, run_id=run_id, bind_host=bind_host, url_host=url_host
    )
    return environment.start()
