"""The ``webarena-isolation`` command: parse, call the library, map errors to exit codes.

Exit codes: 0 ok; 1 a known error (or a task ended in ``error``); 2 usage; 130 interrupted.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, Optional

import docker
import docker.errors
import requests
import typer
from rich.live import Live
from rich.table import Table

from webarena_isolation import engine, pool, shared_sites
from webarena_isolation.agents.selection import choose_agent
from webarena_isolation.backends.local import run_local
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cleanup import live_environments, reap_orphans, remove_leftovers
from webarena_isolation.errors import CatalogError, IsolationError, UsageError
from webarena_isolation.pool import EnvironmentPool, site_set_key
from webarena_isolation.pool_cli import pool_app
from webarena_isolation.progress import TaskBoard
from webarena_isolation.providers import provider_for_model
from webarena_isolation.reaper import Watchdog
from webarena_isolation.results import TaskResult, write_task_result
from webarena_isolation.resume import finished_results, read_run_file, write_run_file
from webarena_isolation.runner import (
    RunSettings,
    StopFlag,
    finish_run,
    prepare_run_dir,
    run_info,
)
from webarena_isolation.shared_sites import is_per_task
from webarena_isolation.tasks import TaskConfig, load_task_pool, select_tasks
from webarena_isolation.terminal import console, err_console
from webarena_isolation.terminal import fail as _fail

logger = logging.getLogger(__name__)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Run WebArena tasks in parallel, each against its own isolated Docker containers.",
)
app.add_typer(pool_app, name="pool")

EXIT_INTERRUPTED = 130
HOST_NAME_TEMPLATE = "{site}-t{task_id}.localhost"


def _log_to(path: Path, verbose: bool) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("webarena_isolation")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.addHandler(handler)


def _check_addresses(bind_host: str, api_base: str | None, results_dir: Path) -> None:
    try:
        ipaddress.ip_address(bind_host)
    except ValueError:
        # Docker publishes on every interface when it can't use the given one: refuse.
        raise UsageError(
            f"--bind-host {bind_host!r} is not an IP address",
            hint="use 127.0.0.1 (the default) or an address of one of this host's interfaces",
        ) from None
    if api_base is not None and not api_base.startswith(("http://", "https://")):
        raise UsageError(f"--api-base {api_base!r} is not an http(s) URL")
    if results_dir.exists() and not results_dir.is_dir():
        raise UsageError(f"--results-dir {results_dir} is a file, not a folder")


def _refuse_live_run_id(client: docker.DockerClient, run_id: str) -> None:
    found = client.api.containers(all=True, filters={"label": [f"{engine.LABEL_RUN}={run_id}"]})
    if found:
        raise UsageError(
            f"run id {run_id!r} is in use by {len(found)} container(s)",
            hint=f"pick another --run-id, or `webarena-isolation cleanup --run {run_id}`",
        )


def _start_pool(
    client: docker.DockerClient, settings: RunSettings, configs: list[Any], size: int
) -> EnvironmentPool:
    # One pool per run, keyed by the run id, so the run's reaper also covers its members.
    site_sets = {
        site_set_key(k for k in c.get("sites", []) if is_per_task(settings.catalog.site(k)))
        for c in configs
    }
    warm = EnvironmentPool(
        client,
        settings.catalog,
        pool_id=settings.run_id,
        site_sets=[key.split("+") for key in site_sets if key],
        size=size,
        bind_host=settings.bind_host,
        url_host=settings.url_host,
        routed=settings.routed,
    ).start()
    pool.register(settings.run_id, warm)
    return warm


def _summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"run {summary['run_id']} — {summary['wall_s']:.1f} s")
    columns = ("task", "sites", "status", "score", "ports", "start", "login", "agent", "teardown")
    for column in (*columns, "error"):
        table.add_column(column)
    scores = []
    for task in summary["tasks"]:
        t = task["timings_s"]
        score = task.get("score")
        if score is not None:
            scores.append(score)
        table.add_row(
            str(task["task_id"]),
            ", ".join(task["sites"]),
            task["status"],
            "-" if score is None else f"{score:.1f}",
            ", ".join(str(p) for p in task["ports"].values()),
            *(f"{t.get(phase, 0):.1f}s" for phase in ("start", "login", "agent", "teardown")),
            (task.get("error") or "")[:60],
        )
    scored = f"score {sum(scores):.1f}/{len(scores)} scored" if scores else "no task scored"
    table.caption = f"{summary['total']} tasks; {scored}"
    return table


@app.command()
def run(
    tasks: Annotated[
        Optional[str], typer.Option(help="Task ids: 78 | 78,79,80 | 78-82 | 1,5-7.")
    ] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name, e.g. gemini-2.5-pro.")] = None,
    max_workers: Annotated[int, typer.Option(min=1, help="Environments at once.")] = 2,
    provider: Annotated[
        Optional[str], typer.Option(help="google|openai|anthropic|openai-compatible.")
    ] = None,
    agent_cmd: Annotated[
        Optional[str],
        typer.Option(help="Run this per task instead of a built-in agent."),
    ] = None,
    catalog: Annotated[
        Optional[str], typer.Option(help="Built-in catalog name or .toml file [default: demo].")
    ] = None,
    task_source: Annotated[
        Optional[str],
        typer.Option(help="config_files/ dir or test.raw.json (default: webarena-verified's)."),
    ] = None,
    results_dir: Annotated[Path, typer.Option(help="Where run folders go.")] = Path(
        "parallel_demo_results"
    ),
    agent_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds per task for the agent.")
    ] = 600,
    agent: Annotated[
        str, typer.Option(help="auto (llm if a key or --api-base is there) | llm | offline.")
    ] = "auto",
    api_base: Annotated[
        Optional[str],
        typer.Option(help="OpenAI-compatible server for the model (vLLM, ollama); no key needed."),
    ] = None,
    max_steps: Annotated[int, typer.Option(min=1, help="Actions per task (llm agent).")] = 30,
    bind_host: Annotated[str, typer.Option(help="Interface ports are published on.")] = (
        "127.0.0.1"
    ),
    host_names: Annotated[
        bool,
        typer.Option(help="Give every site its own host, <site>-t<task>.localhost."),
    ] = False,
    pool_size: Annotated[
        int,
        typer.Option("--pool", min=0, help="Keep N ready environments per site set, refilled."),
    ] = 0,
    routed: Annotated[
        bool, typer.Option(help="Sites keep canonical WebArena URLs; browsers are routed.")
    ] = False,
    shared_pools: Annotated[
        bool, typer.Option(help="Claim ready members of `pool start` pools when they fit.")
    ] = True,
    memory_budget_mb: Annotated[
        Optional[int],
        typer.Option(help="MiB environments may hold (default: available memory - reserve)."),
    ] = None,
    run_id: Annotated[
        Optional[str], typer.Option(help="Id stamped on everything (default: random).")
    ] = None,
    resume: Annotated[
        Optional[Path],
        typer.Option(help="A run folder: skip its finished tasks, rerun the rest there."),
    ] = None,
    backend: Annotated[
        str, typer.Option(help="local (threads on this machine) | ray (a Ray cluster's nodes).")
    ] = "local",
    ray_address: Annotated[
        Optional[str],
        typer.Option(help="Ray head host:port (default: $RAY_ADDRESS or this machine's)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug log.")] = False,
) -> None:
    """Run tasks, each in a fresh environment of its own, and write a results folder."""
    done: dict[int, TaskResult] = {}
    try:
        if resume is not None:
            stored = read_run_file(resume)
            if tasks and tasks != stored["tasks"]:
                raise UsageError(
                    f"--resume reruns the stored selection {stored['tasks']!r}",
                    hint="drop --tasks, or start a new run for other tasks",
                )
            tasks, model = tasks or stored["tasks"], model or stored["model"]
            provider, catalog = provider or stored["provider"], catalog or stored["catalog"]
            agent_cmd = agent_cmd or stored.get("agent_cmd")
            api_base = api_base or stored.get("api_base")
            agent = stored.get("agent") or agent if agent == "auto" else agent
            task_source = task_source or stored.get("task_source")
            done = finished_results(resume)
        _check_addresses(bind_host, api_base, results_dir)
        if agent_cmd is not None and not agent_cmd.strip():
            raise UsageError("--agent-cmd is empty", hint="give the command that runs your agent")
        if not tasks or not model:
            raise UsageError("--tasks and --model are required (or --resume RUN_DIR)")
        if run_id is not None and not re.fullmatch(r"[0-9a-z]{1,16}", run_id):
            raise UsageError(f"--run-id {run_id!r} must be 1-16 lowercase letters or digits")
        all_configs = select_tasks(tasks, load_task_pool(task_source))
        configs = [c for c in all_configs if int(c["task_id"]) not in done]
        chosen_provider = provider_for_model(
            model, provider or ("openai-compatible" if api_base else None)
        )
        catalog = catalog or "demo"
        site_catalog = load_catalog(catalog)
        for config in configs:
            for kind in config.get("sites", []):
                site_catalog.site(kind)
        chosen = choose_agent(
            agent,
            agent_cmd=agent_cmd,
            model=model,
            provider=chosen_provider,
            api_base=api_base,
            max_steps=max_steps,
        )
        if backend not in ("local", "ray"):
            raise UsageError(f"--backend {backend!r}: choose local or ray")
        if backend == "ray":
            # Each node checks its own engine, images and Chromium; nothing starts if one can't.
            from webarena_isolation.backends.ray import check_cluster

            if pool_size:
                raise UsageError("--pool works with the local backend only")
            check_cluster(configs, site_catalog, address=ray_address)
        else:
            client = engine.connect()
            if run_id:
                _refuse_live_run_id(client, run_id)
            kinds = sorted({kind for c in configs for kind in c.get("sites", [])})
            engine.require_images(
                client,
                site_catalog.images(kinds),
                hints={site_catalog.site(k).image: site_catalog.site(k).load_hint for k in kinds},
            )
    except IsolationError as exc:
        _fail(exc)

    console.print(chosen.note, highlight=False)
    settings = RunSettings(
        catalog=site_catalog,
        agent=chosen.agent,
        judge=chosen.judge,
        model=model,
        provider=chosen_provider,
        max_workers=max_workers,
        bind_host=bind_host,
        url_host=HOST_NAME_TEMPLATE if host_names else "127.0.0.1",
        agent_timeout_s=agent_timeout,
        routed=routed,
        memory_budget_mb=memory_budget_mb,
        use_external_pools=shared_pools,
    )
    if run_id:
        settings.run_id = run_id
    run_dir = resume if resume is not None else prepare_run_dir(results_dir, settings)
    write_run_file(
        run_dir,
        {
            "run_id": settings.run_id,
            "tasks": tasks,
            "model": model,
            "provider": chosen_provider,
            "catalog": catalog,
            "agent_cmd": agent_cmd,
            "agent": agent,
            "api_base": api_base,
            "task_source": task_source,
            "skipped_as_finished": sorted(done),
        },
    )
    _log_to(run_dir / "run.log", verbose)
    if backend == "ray":
        _run_on_ray(configs, settings, run_dir, done)
        return
    orphans = reap_orphans(client)
    if orphans:
        console.print(f"removed leftovers of dead run(s): {', '.join(orphans)}")
    watchdog = Watchdog(settings.run_id)
    warm = _start_pool(client, settings, configs, pool_size) if pool_size else None
    started, started_monotonic = datetime.now(), time.monotonic()
    info = run_info(settings, "local", started)
    board = TaskBoard(configs, note=f"run {settings.run_id} → {run_dir}")
    stop = StopFlag()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.request()
        if stop.hard.is_set():
            # Second request: remove everything now (in a thread: a signal handler must be
            # quick); running tasks fail fast and finish.
            err_console.print("tearing down every environment of the run now")
            threading.Thread(
                target=remove_leftovers, args=(client, settings.run_id), daemon=True
            ).start()
        else:
            err_console.print(
                "stopping: no new task starts, running ones finish; again to tear down now"
            )

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Live(board, console=console, refresh_per_second=4, transient=False):
            results = run_local(
                client, configs, settings, run_dir, on_phase=board.update, stop=stop
            )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if warm is not None:
            warm.stop()
            pool.unregister(settings.run_id)
        try:
            shared_sites.close_run(settings.run_id)
            leftovers = remove_leftovers(client, settings.run_id)
            if leftovers.total:
                logger.warning("safety net removed leftovers: %s", leftovers.to_json())
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            logger.warning("safety-net sweep failed (%s); the reaper will retry", exc)
        watchdog.release()
    if stop.hard.is_set():
        for result in results:
            if result.status == "error":
                result.status = "interrupted"
                result.error = f"torn down by a second Ctrl-C ({result.error})"
                write_task_result(run_dir, result)
    summary = finish_run(
        run_dir, list(done.values()) + results, info, started_monotonic=started_monotonic
    )
    console.print(_summary_table(summary))
    console.print(f"results: {run_dir}/summary.json and {run_dir}/index.html")
    if stop.requested.is_set():
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary["counts"].get("error"):
        raise typer.Exit(1)


def _run_on_ray(
    configs: list[TaskConfig], settings: RunSettings, run_dir: Path, done: dict[int, TaskResult]
) -> None:
    """``run --backend ray``: check_cluster has connected this process and checked the nodes."""
    from webarena_isolation.backends.ray import run_ray
    from webarena_isolation.cluster import disconnect

    started, started_monotonic = datetime.now(), time.monotonic()
    info = run_info(settings, "ray", started)
    board = TaskBoard(configs, note=f"run {settings.run_id} on Ray → {run_dir}")
    stop = StopFlag()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.request()  # a second one cancels the running tasks, which tear down on their node

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Live(board, console=console, refresh_per_second=4, transient=False):
            results = run_ray(
                configs, settings, run_dir, on_phase=board.update, stop=stop, check=False
            )
    except IsolationError as exc:
        _fail(exc)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        disconnect()
    summary = finish_run(
        run_dir, list(done.values()) + results, info, started_monotonic=started_monotonic
    )
    console.print(_summary_table(summary))
    console.print(f"results: {run_dir}/summary.json and {run_dir}/index.html")
    if stop.requested.is_set():
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary["counts"].get("error"):
        raise typer.Exit(1)


@app.command()
def setup(
    skip_chromium: Annotated[bool, typer.Option(help="Don't install Chromium.")] = False,
) -> None:
    """Install and start what runs need: Docker engine, Chromium, the local images."""
    from webarena_isolation.host_setup import ensure_engine, install_packages
    from webarena_isolation.images import ensure_base_image, ensure_standin_image

    try:
        with console.status("Docker engine"):
            client = ensure_engine()
        console.print("[green]✓[/] Docker engine answers")
        if not skip_chromium:
            installed = install_packages(["chromium"])
            console.print("[green]✓[/] Chromium" + (" (installed)" if installed else ""))
        with console.status("base image (debootstrap, about 40 s the first time)"):
            built = ensure_base_image(client)
        console.print("[green]✓[/] base image" + (" (built)" if built else " (cached)"))
        with console.status("stand-in site image"):
            built = ensure_standin_image(client)
        console.print("[green]✓[/] stand-in image" + (" (built)" if built else " (cached)"))
    except IsolationError as exc:
        _fail(exc)


@app.command()
def cleanup(
    run_id: Annotated[
        Optional[str], typer.Option("--run", help="Only this run's leftovers.")
    ] = None,
    all_runs: Annotated[bool, typer.Option("--all", help="Everything of every run.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only list what would go.")] = False,
) -> None:
    """Remove containers, networks and folders that runs left behind."""
    if not run_id and not all_runs:
        err_console.print("[bold red]error:[/] say which: --run ID or --all")
        raise typer.Exit(2)
    try:
        found = remove_leftovers(engine.connect(), run_id, dry_run=dry_run)
    except IsolationError as exc:
        _fail(exc)
    verb = "would remove" if dry_run else "removed"
    console.print(json.dumps({"dry_run": dry_run, verb: found.to_json()}, indent=2))


@app.command()
def ps(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List live environments of every run: task, sites, ports, age."""
    try:
        rows = live_environments(engine.connect())
    except IsolationError as exc:
        _fail(exc)
    if as_json:
        console.print(json.dumps(rows, indent=2))
        return
    table = Table()
    for column in ("run", "env", "task", "sites", "age"):
        table.add_column(column)
    for row in rows:
        sites = ", ".join(
            f"{k} {':'.join(v['ports']) or '-'} ({v['status']})" for k, v in row["sites"].items()
        )
        table.add_row(row["run_id"], row["env_id"], str(row["task_id"]), sites, f"{row['age_s']}s")
    console.print(table)


@app.command()
def catalogs() -> None:
    """List the built-in catalogs and their sites."""
    from webarena_isolation.catalog import builtin_catalog_names

    for name in builtin_catalog_names():
        try:
            found = load_catalog(name)
        except CatalogError as exc:
            _fail(exc)
        console.print(f"[bold]{name}[/]: {found.description}")
        for kind, spec in found.sites.items():
            console.print(f"  {kind:15} {spec.image}  (port {spec.container_port})")


images_app = typer.Typer(help="The images a catalog needs: which are loaded; load their tars.")
app.add_typer(images_app, name="images")
CatalogOption = Annotated[str, typer.Option(help="Built-in catalog name or .toml file.")]


def _size(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**30:.2f} GiB"


@images_app.callback(invoke_without_command=True)
def images(
    ctx: typer.Context,
    catalog: CatalogOption = "webarena",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List each site's image, whether it is loaded, and its size."""
    from webarena_isolation.image_tars import catalog_images

    if ctx.invoked_subcommand is not None:
        return
    try:
        rows = catalog_images(engine.connect(), load_catalog(catalog))
    except IsolationError as exc:
        _fail(exc)
    if as_json:
        console.print_json(json.dumps([row.__dict__ for row in rows]))
        return
    table = Table(title=f"images of catalog {catalog}")
    for column in ("sites", "image", "loaded", "size", "how to load"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            ", ".join(row.kinds),
            row.image,
            "[green]yes[/]" if row.loaded else "[red]no[/]",
            _size(row.size_bytes),
            "" if row.loaded else row.load_hint,
        )
    console.print(table)


@images_app.command("load")
def images_load(
    directory: Annotated[Path, typer.Argument(help="Folder holding the image tars.")],
    catalog: CatalogOption = "webarena",
    force: Annotated[bool, typer.Option(help="Load even if the images are there.")] = False,
) -> None:
    """Load the tars in DIRECTORY that the catalog's sites need, and check their tags."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from webarena_isolation.errors import SetupError
    from webarena_isolation.image_tars import load_tar, plan_loads

    try:
        client = engine.connect()
        plans = plan_loads(client, directory, load_catalog(catalog), force=force)
    except IsolationError as exc:
        _fail(exc)
    if not plans:
        _fail(SetupError(f"no image tars (*.tar, *.tar.gz, ...) in {directory}"))
    failures = 0
    for plan in plans:
        if plan.action == "unknown":
            console.print(f"- {plan.path.name}: no site of catalog {catalog} loads it; skipped")
            continue
        if plan.action == "loaded":
            console.print(f"- {plan.path.name}: {', '.join(plan.images)} already loaded; skipped")
            continue
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        try:
            with Progress(*columns, console=console) as progress:
                bar = progress.add_task(plan.path.name, total=plan.size_bytes)
                tags = load_tar(
                    client,
                    plan.path,
                    plan.images,
                    on_progress=lambda n, bar=bar: progress.advance(bar, n),
                )
        except IsolationError as exc:
            failures += 1
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            continue
        console.print(f"[green]✓[/] {plan.path.name}: loaded {', '.join(tags)}")
    if failures:
        raise typer.Exit(1)


cluster_app = typer.Typer(help="The Ray cluster that `run --backend ray` uses.")
app.add_typer(cluster_app, name="cluster")


@cluster_app.command("status")
def cluster_status(
    ray_address: Annotated[
        Optional[str],
        typer.Option(help="Ray head host:port (default: $RAY_ADDRESS or this machine's)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Nodes with Docker slots: free slots and the environments running on each."""
    from webarena_isolation import cluster

    try:
        status = cluster.cluster_status(ray_address)
    except IsolationError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(status, indent=2))
        return
    table = Table(title=f"{status['slots']} docker_env slot(s), {status['free_slots']} free")
    for column in ("node", "address", "host", "slots", "free", "environments", "note"):
        table.add_column(column)
    for node in status["nodes"]:
        envs = ", ".join(f"{e['run_id']}/t{e['task_id']}" for e in node["environments"])
        note = node.get("error") or (
            "shares its engine with " + ", ".join(node["shares_engine_with"])
            if node.get("shares_engine_with")
            else ""
        )
        table.add_row(
            node["node_id"][:8],
            node["ip"],
            node["hostname"],
            str(node["slots"]),
            "?" if node["free_slots"] is None else str(node["free_slots"]),
            f"{len(node['environments'])}" + (f": {envs}" if envs else ""),
            note,
        )
    console.print(table)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
