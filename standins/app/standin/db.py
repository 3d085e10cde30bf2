"""SQLite access: one short-lived connection per request or command, WAL, busy timeout."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT_S = 5.0

BASE_SCHEMA = """
CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    form_key TEXT NOT NULL,
    username TEXT REFERENCES users(username),
    created_at REAL NOT NULL
);
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    owner TEXT,
    status TEXT,
    created_at REAL NOT NULL
);
"""

MAGENTO_SCHEMA = """
CREATE TABLE core_config_data (path TEXT PRIMARY KEY, value TEXT);
CREATE TABLE page_cache (
    key TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL
);
"""


class MissingDatabaseError(RuntimeError):
    """Raised when a mode's database has not been created by `init`."""


def connect(path: Path) -> sqlite3.Connection:
    """Open an existing database in autocommit mode; never create one by accident.

    WAL mode is set once by `init` and persists in the file; ``timeout`` is SQLite's busy
    timeout, so a writer waits for another instead of failing at once.
    """
    if not path.is_file():
        raise MissingDatabaseError(f"database {path} does not exist: run `standin.py init`")
    conn = sqlite3.connect(
        f"file:{path}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )
    conn.row_factory = sqlite3.Row
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run a block as one write transaction (taken up front, so no lock upgrade deadlock)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_config(conn: sqlite3.Connection, key: str) -> str | None:
    """Value of a plain config row, or None."""
    row = conn.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]


def set_config(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Insert or replace a plain config row."""
    conn.execute(
        "INSERT INTO config (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def delete_config(conn: sqlite3.Connection, key: str) -> None:
    """Remove a plain config row (no error when absent)."""
    conn.execute("DELETE FROM config WHERE key = ?", (key,))


def get_core_config(conn: sqlite3.Connection, path: str) -> str | None:
    """Value of a Magento core_config_data row, or None."""
    row = conn.execute("SELECT value FROM core_config_data WHERE path = ?", (path,)).fetchone()
    return None if row is None else row["value"]


def set_core_config(conn: sqlite3.Connection, path: str, value: str) -> None:
    """Insert or replace a Magento core_config_data row."""
    conn.execute(
        "INSERT INTO core_config_data (path, value) VALUES (?, ?)"
        " ON CONFLICT(path) DO UPDATE SET value = excluded.value",
        (path, value),
    )
