"""`init`: create a mode's database with its schema, canonical base URL and seed data."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from pathlib import Path

from standin import accounts, baseurl, db
from standin.modes import Mode, UrlStore
from standin.sites import SITES

logger = logging.getLogger(__name__)

# Magento ships these admin security rows; WebArena's recipe sets them with config:set.
MAGENTO_DEFAULT_ROWS = {
    "admin/security/password_is_forced": "1",
    "admin/security/password_lifetime": "90",
}


def init_mode(data_dir: Path, mode: Mode, *, force: bool = False) -> bool:
    """Create ``mode``'s database; return False (untouched) if it exists and not ``force``."""
    target = mode.db_path(data_dir)
    if target.exists() and not force:
        logger.info("%s exists, kept (use --force to recreate)", target)
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(target.name + ".new")
    _remove(scratch)
    conn = sqlite3.connect(scratch, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(db.BASE_SCHEMA + (db.MAGENTO_SCHEMA if mode.is_magento else ""))
        with db.transaction(conn):
            _seed(conn, mode)
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        _remove(target.with_name(target.name + suffix))
    # Rename last, so a half-built database never sits under the real name.
    os.replace(scratch, target)
    logger.info("created %s", target)
    return True


def _seed(conn: sqlite3.Connection, mode: Mode) -> None:
    if mode.url_store is UrlStore.MAGENTO:
        for path in (baseurl.UNSECURE_PATH, baseurl.SECURE_PATH):
            baseurl.write_magento_slot(conn, path, mode.canonical_url)
        for path, value in MAGENTO_DEFAULT_ROWS.items():
            db.set_core_config(conn, path, value)
    elif mode.url_store is UrlStore.GITLAB:
        db.set_config(conn, baseurl.EXTERNAL_URL_KEY, mode.canonical_url)
    else:
        db.set_config(conn, baseurl.CONFIG_KEY, mode.canonical_url)
    if mode.account:
        accounts.create(conn, *mode.account)
    SITES[mode.name].seed(conn)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
