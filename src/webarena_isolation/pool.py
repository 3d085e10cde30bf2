"""A pool of ready, clean environments, refilled in the background.

Members are full environments, started, reconfigured and signed in to every site ahead of
time, labelled with the pool's id and their site set. A task claims one atomically by renaming
the member's first container (the engine lets exactly one rename of a name succeed), so two
runs, or a run and another process's pool, never get the same member. A claimed member is the
task's: it is torn down after the task and never handed out again; the pool starts a new one.
A free member whose container died is noticed and replaced.

The same class serves ``run --pool N`` (in the run's process) and ``pool start`` (a process of
its own that runs find by label).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from webarena_isolation import engine
from webarena_isolation.auth import sign_in_all
from webarena_isolation.catalog import Catalog
from webarena_isolation.cleanup import pid_alive
from webarena_isolation.environment import Environment
from webarena_isolation.errors import EnvironmentStartError, IsolationError

logger = logging.getLogger(__name__)

CLAIM_SUFFIX = "-claimed"
HEALTH_EVERY_S = 2.0
FILL_RETRY_S = 5.0
POOL_TASK_ID = 0


def site_set_key(kinds: Iterable[str]) -> str:
    """A site set's label value: the sorted kinds joined by ``+``."""
    return "+".join(sorted(set(kinds)))


def _is_claimed(entries: list[dict[str, Any]]) -> bool:
    """Whether any container of a member (from the listing endpoint) carries a claim."""
    return any(CLAIM_SUFFIX in str(entry["Names"][0]) for entry in entries)


def _members(client: docker.DockerClient, filters: dict[str, Any]) -> dict[str, list[Any]]:
    """Containers from the listing endpoint, grouped by their environment's id."""
    by_env: dict[str, list[Any]] = {}
    for entry in client.api.containers(all=True, filters=filters):
        env_id = (entry.get("Labels") or {}).get(engine.LABEL_ENV)
        if env_id:
            by_env.setdefault(env_id, []).append(entry)
    return by_env


def claim(client: docker.DockerClient, env_id: str, claimer: str) -> bool:
    """Try to take the pool member ``env_id``; True if this caller now owns it."""
    containers = client.api.containers(
        all=True, filters={"label": [f"{engine.LABEL_ENV}={env_id}"]}
    )
    anchors = sorted(str(c["Names"][0]).lstrip("/") for c in containers)
    if not anchors or _is_claimed(containers):
        return False
    try:
        client.api.rename(anchors[0], f"{anchors[0]}{CLAIM_SUFFIX}-{claimer}")
    except docker.errors.APIError:
        return False  # another claimer renamed it first, or it is gone
    return True


def free_members(
    client: docker.DockerClient,
    kinds: Iterable[str],
    *,
    catalog: str | None = None,
    routed: bool | None = None,
    url_host: str | None = None,
) -> list[str]:
    """Env ids of unclaimed, running pool members for a site set, from any process.

    Only members of shared pools (``pool start``) are listed: a run's own pool is private.
    Members only fit a task made with the same catalog, routing and host form.
    """
    labels = [
        f"{engine.LABEL_ROLE}=pool",
        f"{engine.LABEL_SITE_SET}={site_set_key(kinds)}",
        f"{engine.LABEL_POOL_SHARED}=true",
    ]
    if catalog is not None:
        labels.append(f"{engine.LABEL_CATALOG}={catalog}")
    if routed is not None:
        labels.append(f"{engine.LABEL_ROUTED}={str(routed).lower()}")
    if url_host is not None:
        labels.append(f"{engine.LABEL_URL_HOST}={url_host}")
    filters = {"label": labels}
    return sorted(
        env_id
        for env_id, entries in _members(client, filters).items()
        if all(e.get("State") == "running" for e in entries) and not _is_claimed(entries)
    )


@dataclass
class PoolStats:
    """Counters a benchmark or ``pool status`` reads."""

    started: int = 0
    handed_out: int = 0
    replaced_dead: int = 0
    failed_starts: int = 0
    acquire_s: list[float] = field(default_factory=list)


class EnvironmentPool:
    """Keeps ``size`` ready members per site set (see the module docstring).

    Args:
        client: a Docker client.
        catalog: where the sites come from.
        pool_id: stamped on members as their run id and pool label.
        site_sets: the site sets to keep members of.
        size: free members to keep per site set.
        login: sign in to every site with a login recipe when a member is made.
        shared: other processes' runs may claim members (``pool start``); otherwise only
            this process's tasks get them.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        catalog: Catalog,
        *,
        pool_id: str,
        site_sets: Iterable[Iterable[str]],
        size: int,
        bind_host: str = "127.0.0.1",
        url_host: str = "127.0.0.1",
        routed: bool = False,
        login: bool = True,
        shared: bool = False,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.catalog = catalog
        self.pool_id = pool_id
        self.site_sets = sorted({site_set_key(kinds) for kinds in site_sets})
        self.size = size
        self.bind_host = bind_host
        self.url_host = url_host
        self.routed = routed
        self.login = login
        self.shared = shared
        self.on_event = on_event or (lambda note: None)
        self.stats = PoolStats()
        self._free: dict[str, list[Environment]] = {key: [] for key in self.site_sets}
        self._starting: dict[str, int] = {key: 0 for key in self.site_sets}
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, *, fillers: int = 2) -> EnvironmentPool:
        """Start background fillers and the health watch; returns at once."""
        for number in range(fillers):
            thread = threading.Thread(target=self._fill_loop, name=f"pool-fill-{number}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        watcher = threading.Thread(target=self._watch_loop, name="pool-watch", daemon=True)
        watcher.start()
        self._threads.append(watcher)
        return self

    def wait_full(self, *, timeout: float) -> bool:
        """Block until every site set has ``size`` free members, or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not all(len(self._free[key]) >= self.size for key in self.site_sets):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 1.0))
        return True

    def stop(self) -> None:
        """Stop refilling and remove every free member (claimed ones belong to their tasks)."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=120)
        with self._lock:
            members = [env for envs in self._free.values() for env in envs]
            for envs in self._free.values():
                envs.clear()
        for member in members:
            member.close()

    # -- handing out -----------------------------------------------------------------------

    def acquire(self, kinds: Iterable[str], *, claimer: str, timeout: float = 600.0) -> Environment:
        """Claim a ready member for ``kinds``, waiting for one if none is free.

        Raises:
            EnvironmentStartError: none became free in time, or the pool doesn't keep this set.
        """
        key = site_set_key(kinds)
        if key not in self._free:
            raise EnvironmentStartError(f"pool {self.pool_id} keeps no members for {key}")
        started = time.monotonic()
        deadline = started + timeout
        while True:
            with self._lock:
                while not self._free[key]:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._stop.is_set():
                        raise EnvironmentStartError(
                            f"no pool member for {key} became free in {timeout:.0f} s",
                            hint="raise --pool or --max-workers' ratio to it",
                        )
                    self._lock.wait(min(remaining, 1.0))
                member = self._free[key].pop(0)
                self._lock.notify_all()  # a filler may start the replacement now
            if claim(self.client, member.env_id, claimer):
                self.stats.handed_out += 1
                self.stats.acquire_s.append(time.monotonic() - started)
                return member
            # Someone else (another process) took it: it is theirs to remove.
            logger.debug("pool member %s was claimed elsewhere", member.env_id)

    def free_count(self) -> dict[str, int]:
        """Free members per site set."""
        with self._lock:
            return {key: len(envs) for key, envs in self._free.items()}

    # -- filling and watching --------------------------------------------------------------

    def _next_to_fill(self) -> str | None:
        for key in self.site_sets:
            if len(self._free[key]) + self._starting[key] < self.size:
                return key
        return None

    def _fill_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                key = self._next_to_fill()
                while key is None and not self._stop.is_set():
                    self._lock.wait(1.0)
                    key = self._next_to_fill()
                if key is None:
                    return
                self._starting[key] += 1
            try:
                member = self._make_member(key)
            except IsolationError as exc:
                self.stats.failed_starts += 1
                logger.warning(
                    "pool %s: a member for %s failed to start: %s", self.pool_id, key, exc
                )
                self._stop.wait(FILL_RETRY_S)
                continue
            finally:
                with self._lock:
                    self._starting[key] -= 1
            with self._lock:
                if self._stop.is_set():
                    member.close()
                    return
                self._free[key].append(member)
                self._lock.notify_all()
            self.on_event(f"pool member ready for {key}")

    def _make_member(self, key: str) -> Environment:
        specs = [self.catalog.site(kind) for kind in key.split("+")]
        member = Environment(
            self.client,
            task_id=POOL_TASK_ID,
            specs=specs,
            run_id=self.pool_id,
            bind_host=self.bind_host,
            url_host=self.url_host,
            routed=self.routed,
            extra_labels={
                engine.LABEL_ROLE: "pool",
                engine.LABEL_POOL: self.pool_id,
                engine.LABEL_SITE_SET: key,
                engine.LABEL_CATALOG: self.catalog.name,
                engine.LABEL_POOL_SHARED: str(self.shared).lower(),
            },
        )
        member.start()
        try:
            if self.login:
                self._sign_in(member)
        except BaseException:
            member.close()
            raise
        self.stats.started += 1
        return member

    def _sign_in(self, member: Environment) -> None:
        kinds = [k for k in member.sites if self.catalog.site(k).login is not None]
        if not kinds:
            return
        sign_in_all(
            [member.auth_dir / f"{kind}_state.json" for kind in kinds],
            member.addresses,
            self.catalog,
            context_options=member.browser_options,
        )

    def _claimed_elsewhere(self, member: Environment) -> bool:
        names = self.client.api.containers(
            all=True, filters={"label": [f"{engine.LABEL_ENV}={member.env_id}"]}
        )
        return _is_claimed(names)

    def _watch_loop(self) -> None:
        while not self._stop.wait(HEALTH_EVERY_S):
            with self._lock:
                members = [(key, env) for key, envs in self._free.items() for env in envs]
            for key, member in members:
                if self._claimed_elsewhere(member):
                    with self._lock:
                        if member in self._free[key]:
                            self._free[key].remove(member)
                            self._lock.notify_all()
                    continue
                if not member.dead_sites():
                    continue
                with self._lock:
                    if member not in self._free[key]:
                        continue  # handed out meanwhile
                    self._free[key].remove(member)
                    self._lock.notify_all()
                self.stats.replaced_dead += 1
                logger.warning("pool %s: member %s died; replacing it", self.pool_id, member.name)
                self.on_event(f"replaced dead pool member {member.env_id}")
                member.close()


def pid_file(pool_id: str) -> Path:
    """Where ``pool start`` records its process id."""
    from webarena_isolation.environment import work_root

    return work_root() / f"pool-{pool_id}.pid"


def owner_alive(pool_id: str) -> bool:
    """Whether the process of a ``pool start`` is still running."""
    try:
        pid = int(pid_file(pool_id).read_text())
    except (OSError, ValueError):
        return False
    return pid_alive(pid)


_POOLS: dict[str, EnvironmentPool] = {}
_POOLS_LOCK = threading.Lock()


def register(run_id: str, pool: EnvironmentPool) -> None:
    """Make ``pool`` the one the tasks of ``run_id`` in this process draw from."""
    with _POOLS_LOCK:
        _POOLS[run_id] = pool


def unregister(run_id: str) -> EnvironmentPool | None:
    """Forget the pool of ``run_id`` and return it."""
    with _POOLS_LOCK:
        return _POOLS.pop(run_id, None)


def for_run(run_id: str) -> EnvironmentPool | None:
    """The pool the tasks of ``run_id`` draw from in this process, if any."""
    with _POOLS_LOCK:
        return _POOLS.get(run_id)


def claim_from_any(
    client: docker.DockerClient,
    catalog: Catalog,
    kinds: Iterable[str],
    *,
    claimer: str,
    routed: bool = False,
    url_host: str = "127.0.0.1",
) -> Environment | None:
    """Claim a free member of any pool (e.g. a ``pool start`` process) for ``kinds``."""
    kinds = list(kinds)
    specs = {kind: catalog.site(kind) for kind in kinds}
    found = free_members(client, kinds, catalog=catalog.name, routed=routed, url_host=url_host)
    for env_id in found:
        if claim(client, env_id, claimer):
            return Environment.adopt(client, env_id, specs)
    return None


def remove_unclaimed(client: docker.DockerClient, pool_id: str) -> int:
    """Remove a pool's members that no task has claimed; returns how many.

    Claimed members belong to the tasks that use them: their teardown removes them.
    """
    filters = {"label": [f"{engine.LABEL_POOL}={pool_id}"]}
    removed = 0
    for env_id, entries in _members(client, filters).items():
        if _is_claimed(entries):
            continue
        env_filter = {"label": [f"{engine.LABEL_ENV}={env_id}"]}
        for entry in entries:
            try:
                client.api.remove_container(entry["Id"], force=True, v=True)
            except docker.errors.NotFound:
                pass
        for network in client.networks.list(filters=env_filter):
            try:
                network.remove()
            except docker.errors.APIError as exc:
                logger.warning("could not remove network %s: %s", network.name, exc)
        removed += 1
    return removed
