"""Finding and removing what runs left behind, by label (containers, networks) and folder."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from webarena_isolation import engine
from webarena_isolation.environment import work_root

logger = logging.getLogger(__name__)


@dataclass
class Leftovers:
    """Things that belong to runs: container names, network names, private folders."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many things in all."""
        return len(self.containers) + len(self.networks) + len(self.folders)

    def to_json(self) -> dict[str, list[str]]:
        """A JSON-ready dict."""
        return {"containers": self.containers, "networks": self.networks, "folders": self.folders}


def _filters(run_id: str | None) -> dict[str, Any]:
    label = f"{engine.LABEL_RUN}={run_id}" if run_id else engine.LABEL_MANAGED
    return {"label": [label]}


def _folders(run_id: str | None) -> list[Path]:
    root = work_root()
    if not root.is_dir():
        return []
    if run_id:
        return [root / run_id] if (root / run_id).is_dir() else []
    return sorted(p for p in root.iterdir() if p.is_dir())


def remove_leftovers(
    client: docker.DockerClient, run_id: str | None = None, *, dry_run: bool = False
) -> Leftovers:
    """Remove every container, network and private folder of ``run_id`` (or of all runs).

    Args:
        run_id: one run's id; ``None`` for everything this tool ever made.
        dry_run: only list what would be removed.

    Returns:
        What was (or would be) removed.
    """
    found = Leftovers()
    filters = _filters(run_id)
    # Sparse listing: no inspect per container, so one going away meanwhile is no error.
    for container in client.containers.list(all=True, filters=filters, sparse=True):
        name = container_name(container)
        found.containers.append(name)
        if not dry_run:
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
            except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
                if "already in progress" not in str(exc):
                    logger.warning("could not remove container %s: %s", name, exc)
    for network in client.networks.list(filters=filters):
        found.networks.append(network.name)
        if not dry_run:
            _remove_network(network)
    for folder in _folders(run_id):
        found.folders.append(str(folder))
        if not dry_run:
            shutil.rmtree(folder, ignore_errors=True)
    if found.total and not dry_run:
        logger.warning(
            "removed %d container(s), %d network(s), %d folder(s) left by run %s",
            len(found.containers),
            len(found.networks),
            len(found.folders),
            run_id or "(any)",
        )
    return found


def container_name(container: Any) -> str:
    """The name of a container from a sparse listing (which carries ``Names``, not ``Name``)."""
    names = container.attrs.get("Names") or [container.attrs.get("Name") or container.id]
    return str(names[0]).lstrip("/")


def _remove_network(network: Any) -> None:
    # A network can refuse removal for a moment while its last container is going away.
    for attempt in range(5):
        try:
            network.remove()
            return
        except docker.errors.NotFound:
            return
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            if attempt == 4:
                logger.warning("could not remove network %s: %s", network.name, exc)
                return
            time.sleep(0.3)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphaned_runs(client: docker.DockerClient) -> list[str]:
    """Runs of this host whose owning process is gone (killed, crashed, host rebooted)."""
    host = socket.gethostname()
    runs: dict[str, bool] = {}
    for entry in client.api.containers(all=True, filters=_filters(None)):
        labels = entry.get("Labels") or {}
        run_id = labels.get(engine.LABEL_RUN)
        pid = labels.get(engine.LABEL_OWNER_PID, "")
        if not run_id or labels.get(engine.LABEL_OWNER_HOST) != host or not pid.isdigit():
            continue
        runs[run_id] = runs.get(run_id, False) or pid_alive(int(pid))
    return sorted(run_id for run_id, alive in runs.items() if not alive)


def reap_orphans(client: docker.DockerClient) -> list[str]:
    """Remove what runs of this host left when their process died; returns their ids."""
    orphans = orphaned_runs(client)
    for run_id in orphans:
        remove_leftovers(client, run_id)
    return orphans


def live_environments(client: docker.DockerClient) -> list[dict[str, Any]]:
    """One row per running environment: run, task, sites with their ports, age in seconds."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    now = time.time()
    # The listing endpoint, not one inspect per container: they may go away meanwhile.
    for entry in client.api.containers(all=True, filters=_filters(None)):
        labels = entry.get("Labels") or {}
        key = (labels.get(engine.LABEL_RUN, "?"), labels.get(engine.LABEL_ENV, "?"))
        row = rows.setdefault(
            key,
            {
                "run_id": key[0],
                "env_id": key[1],
                "task_id": labels.get(engine.LABEL_TASK, "?"),
                "role": labels.get(engine.LABEL_ROLE, "task"),
                "sites": {},
                "age_s": 0.0,
            },
        )
        host_ports = sorted({str(p["PublicPort"]) for p in entry.get("Ports") or []
                             if p.get("PublicPort")})
        site = labels.get(engine.LABEL_SITE, str((entry.get("Names") or ["?"])[0]).lstrip("/"))
        row["sites"][site] = {"status": entry.get("State", "?"), "ports": host_ports}
        created = float(labels.get(engine.LABEL_CREATED, now))
        row["age_s"] = max(row["age_s"], round(now - created, 1))
    return sorted(rows.values(), key=lambda r: (r["run_id"], str(r["task_id"])))
