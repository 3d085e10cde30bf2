"""Command line: `init`, `serve` and the reconfiguration commands run via `docker exec`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence

from standin import baseurl, control, db, pagecache, siteconfig
from standin.initdb import init_mode
from standin.modes import MODE_NAMES, MODES, Mode, UnknownModeError, UrlStore, get_mode
from standin.server import Server
from standin.settings import data_dir_from_env, from_env
from standin.sites import SITES
from standin.urls import BadUrlError


class CommandError(RuntimeError):
    """A command failed; its message goes to stderr and the exit status is 1."""


EXPECTED_ERRORS = (
    CommandError,
    UnknownModeError,
    BadUrlError,
    siteconfig.BadSettingError,
    db.MissingDatabaseError,
    control.ReloadError,
    sqlite3.Error,
    ValueError,
    OSError,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = _parser().parse_args(argv)
    level = logging.INFO if args.command == "serve" else logging.WARNING
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.run(args) or 0
    except EXPECTED_ERRORS as exc:
        print(f"standin: error: {exc}", file=sys.stderr)
        return 1


def cmd_init(args: argparse.Namespace) -> None:
    """Create the database of --mode, or of every mode."""
    data_dir = data_dir_from_env()
    for mode in [get_mode(args.mode)] if args.mode else MODES.values():
        created = init_mode(data_dir, mode, force=args.force)
        print(f"{mode.name}: {'created' if created else 'kept'} {mode.db_path(data_dir)}")


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the mode until SIGTERM."""
    mode = _mode(args)
    settings = from_env()
    if not mode.db_path(settings.data_dir).exists():
        init_mode(settings.data_dir, mode)
    return Server(SITES[mode.name], settings).run()


def cmd_set_base_url(args: argparse.Namespace) -> None:
    """Store the base URL everywhere the mode keeps it (GitLab: and reconfigure)."""
    mode = _mode(args)
    with _database(mode) as conn:
        url = baseurl.write(conn, mode, args.url)
    print(f"base URL set to {url}")
    if mode.url_store is UrlStore.GITLAB:
        _reconfigure(mode)


def cmd_get_base_url(args: argparse.Namespace) -> None:
    """Print the stored base URL (the secure slot with --secure)."""
    mode = _mode(args)
    with _database(mode) as conn:
        urls = baseurl.read(conn, mode)
    print(urls.secure if args.secure else urls.unsecure)


def cmd_store_config_set(args: argparse.Namespace) -> None:
    """Magento's setup:store-config:set: writes the unsecure slot (secure only if given)."""
    mode = _magento(args)
    with _database(mode) as conn, db.transaction(conn):
        baseurl.write_magento_slot(conn, baseurl.UNSECURE_PATH, args.base_url)
        if args.base_url_secure:
            baseurl.write_magento_slot(conn, baseurl.SECURE_PATH, args.base_url_secure)
    print("Successfully saved the store configuration.")


def cmd_config_set(args: argparse.Namespace) -> None:
    """Magento's config:set PATH VALUE on core_config_data."""
    mode = _magento(args)
    with _database(mode) as conn:
        if args.path in (baseurl.UNSECURE_PATH, baseurl.SECURE_PATH):
            baseurl.write_magento_slot(conn, args.path, args.value)
        else:
            db.set_core_config(conn, args.path, args.value)
    print("Value was saved.")


def cmd_cache_flush(args: argparse.Namespace) -> None:
    """Magento's cache:flush: empty the page cache."""
    mode = _magento(args)
    with _database(mode) as conn:
        count = pagecache.flush(conn)
    print(f"Flushed cache types: full_page ({count} pages)")


def cmd_sql(args: argparse.Namespace) -> None:
    """Run one raw SQL statement on the mode's database; print result rows tab-separated."""
    with _database(_mode(args)) as conn:
        for row in conn.execute(args.statement):
            print("\t".join("NULL" if value is None else str(value) for value in row))


def cmd_set_config(args: argparse.Namespace) -> None:
    """Set (or with an empty value, for listen_port, remove) one mode setting."""
    mode = _mode(args)
    value = siteconfig.validate(mode, args.key, args.value)
    with _database(mode) as conn:
        if value is None:
            db.delete_config(conn, args.key)
        else:
            db.set_config(conn, args.key, value)
    print(f"{args.key} {'removed' if value is None else 'set to ' + value}")


def cmd_get_config(args: argparse.Namespace) -> None:
    """Print one mode setting (empty line when unset)."""
    mode = _mode(args)
    siteconfig.validate_key(mode, args.key)
    with _database(mode) as conn:
        print(db.get_config(conn, args.key) or "")


def cmd_reconfigure(args: argparse.Namespace) -> None:
    """GitLab: make the running server apply external_url and listen_port."""
    mode = _mode(args)
    if mode.url_store is not UrlStore.GITLAB:
        raise CommandError(f"reconfigure applies to gitlab only, not {mode.name}")
    _reconfigure(mode)


def _reconfigure(mode: Mode) -> None:
    data_dir = data_dir_from_env()
    if control.running(data_dir, mode) is None:
        print("no running server; the settings apply when serve starts", file=sys.stderr)
        return
    state = control.request_reload(data_dir, mode)
    print(f"reconfigured: {state.external_url}, listening on port {state.port}")


def _mode(args: argparse.Namespace) -> Mode:
    return get_mode(args.mode or os.environ.get("STANDIN_SITE"))


def _magento(args: argparse.Namespace) -> Mode:
    mode = _mode(args)
    if not mode.is_magento:
        raise CommandError(f"{args.command} is a Magento command; {mode.name} is not Magento")
    return mode


@contextlib.contextmanager
def _database(mode: Mode) -> Iterator[sqlite3.Connection]:
    conn = db.connect(mode.db_path(data_dir_from_env()))
    try:
        yield conn
    finally:
        conn.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="standin.py", description="Stand-in for the WebArena sites."
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--mode", choices=MODE_NAMES, help="site mode (default: $STANDIN_SITE)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Callable[[argparse.Namespace], int | None]) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, parents=[common], help=(run.__doc__ or "").strip().splitlines()[0]
        )
        sub.set_defaults(run=run)
        return sub

    add("init", cmd_init).add_argument("--force", action="store_true", help="recreate")
    add("serve", cmd_serve)
    add("set-base-url", cmd_set_base_url).add_argument("url")
    add("get-base-url", cmd_get_base_url).add_argument("--secure", action="store_true")
    store = add("setup:store-config:set", cmd_store_config_set)
    store.add_argument("--base-url", required=True)
    store.add_argument("--base-url-secure")
    config = add("config:set", cmd_config_set)
    config.add_argument("path")
    config.add_argument("value")
    add("cache:flush", cmd_cache_flush)
    add("sql", cmd_sql).add_argument("statement")
    setting = add("set-config", cmd_set_config)
    setting.add_argument("key")
    setting.add_argument("value")
    add("get-config", cmd_get_config).add_argument("key")
    add("reconfigure", cmd_reconfigure)
    return parser
