"""``webarena-isolation pool start|status|stop``: a warm pool as a process of its own."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from types import FrameType
from typing import Annotated, Any, Optional

import docker
import typer
from rich.table import Table

from webarena_isolation import engine
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cleanup import pid_alive
from webarena_isolation.errors import IsolationError, UsageError
from webarena_isolation.pool import EnvironmentPool, owner_alive, pid_file, remove_unclaimed
from webarena_isolation.runner import new_run_id
from webarena_isolation.terminal import console
from webarena_isolation.terminal import fail as _fail

logger = logging.getLogger(__name__)

pool_app = typer.Typer(no_args_is_help=True, help="A warm pool of ready environments.")


def _pool_ids(client: docker.DockerClient) -> dict[str, dict[str, Any]]:
    pools: dict[str, dict[str, Any]] = {}
    filters = {"label": [f"{engine.LABEL_ROLE}=pool"]}
    for entry in client.api.containers(all=True, filters=filters):
        labels = entry.get("Labels") or {}
        pool_id = labels.get(engine.LABEL_POOL, "?")
        site_set = labels.get(engine.LABEL_SITE_SET, "?")
        owner = labels.get(engine.LABEL_OWNER_PID, "")
        # A pool lives as long as the process that made its members: `pool start` or a run.
        alive = owner_alive(pool_id) or (owner.isdigit() and pid_alive(int(owner)))
        row = pools.setdefault(
            f"{pool_id} {site_set}",
            {"pool": pool_id, "site_set": site_set, "alive": alive, "members": {},
             "kind": "shared" if labels.get(engine.LABEL_POOL_SHARED) == "true" else "run"},
        )
        env_id = labels.get(engine.LABEL_ENV, "?")
        members: dict[str, str] = row["members"]
        if "-claimed" in str(entry["Names"][0]):
            members[env_id] = "claimed"
        elif members.get(env_id) != "claimed":
            members[env_id] = entry.get("State", "?")
    return pools


@pool_app.command("start")
def start(
    sites: Annotated[str, typer.Option(help="Site set, e.g. shopping_admin,map.")],
    size: Annotated[int, typer.Option(min=1, help="Free members to keep ready.")] = 2,
    catalog: Annotated[str, typer.Option(help="Catalog name or .toml file.")] = "demo",
    routed: Annotated[bool, typer.Option(help="Members keep canonical URLs.")] = False,
    pool_id: Annotated[Optional[str], typer.Option(help="Id (default: random).")] = None,
) -> None:
    """Keep SIZE ready environments for SITES until stopped (Ctrl-C or `pool stop`)."""
    try:
        kinds = [kind.strip() for kind in sites.split(",") if kind.strip()]
        if not kinds:
            raise UsageError("--sites is empty", hint="e.g. --sites shopping_admin,map")
        found = load_catalog(catalog)
        for kind in kinds:
            found.site(kind)
        client = engine.connect()
    except IsolationError as exc:
        _fail(exc)
    identifier = pool_id or f"pool{new_run_id()}"
    path = pid_file(identifier)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    pool = EnvironmentPool(
        client, found, pool_id=identifier, site_sets=[kinds], size=size, routed=routed,
        shared=True, on_event=lambda note: console.print(note),
    ).start()
    console.print(f"pool {identifier}: keeping {size} ready for {'+'.join(sorted(kinds))}")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        console.print(f"pool {identifier}: stopping")
        pool.stop()
        remove_unclaimed(client, identifier)
        path.unlink(missing_ok=True)
        console.print(json.dumps({"pool": identifier, **vars(pool.stats)}, default=str))


@pool_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Pools on this engine: their members (free or claimed) and whether their process lives."""
    try:
        pools = _pool_ids(engine.connect())
    except IsolationError as exc:
        _fail(exc)
    if as_json:
        console.print(json.dumps(list(pools.values()), indent=2))
        return
    table = Table()
    for column in ("pool", "kind", "site set", "process", "free", "claimed"):
        table.add_column(column)
    for row in pools.values():
        states = list(row["members"].values())
        table.add_row(
            str(row["pool"]),
            str(row["kind"]),
            str(row.get("site_set")),
            "running" if row["alive"] else "gone",
            str(states.count("running")),
            str(states.count("claimed")),
        )
    console.print(table)


@pool_app.command("stop")
def stop(
    pool_id: Annotated[
        Optional[str], typer.Option("--pool", help="One pool (default: all).")
    ] = None,
    wait_s: Annotated[float, typer.Option(help="How long to wait for it to stop.")] = 60,
) -> None:
    """Stop pool processes and remove their free members."""
    try:
        client = engine.connect()
        every = {row["pool"] for row in _pool_ids(client).values()}
        targets = [pool_id] if pool_id else sorted(every)
        for identifier in targets:
            path = pid_file(identifier)
            if owner_alive(identifier):
                os.kill(int(path.read_text()), signal.SIGTERM)
                deadline = time.monotonic() + wait_s
                while owner_alive(identifier) and time.monotonic() < deadline:
                    time.sleep(0.3)
            removed = remove_unclaimed(client, identifier)
            console.print(
                f"pool {identifier}: stopped; removed {removed} free member(s); "
                "members in use stay with their tasks"
            )
    except IsolationError as exc:
        _fail(exc)
