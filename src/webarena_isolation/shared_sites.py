"""Read-only sites shared by every task of a run (or given by the user as a URL).

Wikipedia and the map never change state in WebArena tasks and are huge, so a catalog may mark
them ``shared``: the run starts one copy of each, on first need, and gives every task the same
address; or it names an ``external_url`` and no container is started at all. Everything else
stays per task.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import docker

from webarena_isolation.catalog import SiteSpec
from webarena_isolation.environment import Environment
from webarena_isolation.rewrite import SiteAddress

logger = logging.getLogger(__name__)

SHARED_TASK_ID = 0


def is_per_task(spec: SiteSpec) -> bool:
    """Whether every task gets its own copy of this site."""
    return not spec.shared and not spec.external_url


class SharedSites:
    """The shared sites of one run; thread-safe; :meth:`close` removes their containers."""

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        run_id: str,
        bind_host: str = "127.0.0.1",
        url_host: str = "127.0.0.1",
    ) -> None:
        self.client = client
        self.run_id = run_id
        self.bind_host = bind_host
        self.url_host = url_host
        self._lock = threading.Lock()
        self._environments: dict[str, Environment] = {}

    def addresses(self, specs: Sequence[SiteSpec]) -> dict[str, SiteAddress]:
        """Addresses of the given shared or external sites, starting shared copies if needed.

        Raises:
            EnvironmentStartError: a shared site could not be brought up.
        """
        found: dict[str, SiteAddress] = {}
        for spec in specs:
            if spec.external_url:
                origin = spec.external_url.rstrip("/")
                found[spec.kind] = SiteAddress(
                    spec.kind, origin, spec.site_url(origin), spec.canonical_origin
                )
                continue
            with self._lock:
                environment = self._environments.get(spec.kind)
                if environment is None:
                    logger.info("run %s: starting the shared %s", self.run_id, spec.kind)
                    environment = Environment(
                        self.client,
                        task_id=SHARED_TASK_ID,
                        specs=[spec],
                        run_id=self.run_id,
                        bind_host=self.bind_host,
                        url_host=self.url_host,
                    ).start()
                    self._environments[spec.kind] = environment
            found[spec.kind] = environment.addresses[spec.kind]
        return found

    def close(self) -> None:
        """Remove every shared copy this run started."""
        with self._lock:
            for environment in self._environments.values():
                environment.close()
            self._environments.clear()


_REGISTRY: dict[str, SharedSites] = {}
_REGISTRY_LOCK = threading.Lock()


def for_run(
    client: docker.DockerClient, run_id: str, *, bind_host: str, url_host: str
) -> SharedSites:
    """This process's shared sites of ``run_id``."""
    with _REGISTRY_LOCK:
        if run_id not in _REGISTRY:
            _REGISTRY[run_id] = SharedSites(
                client, run_id=run_id, bind_host=bind_host, url_host=url_host
            )
        return _REGISTRY[run_id]


def close_run(run_id: str) -> None:
    """Remove the shared sites of ``run_id`` started in this process, if any."""
    with _REGISTRY_LOCK:
        shared = _REGISTRY.pop(run_id, None)
    if shared is not None:
        shared.close()
