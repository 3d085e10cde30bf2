"""Magento-like full page cache: anonymous HTML kept per path until `cache:flush`."""

from __future__ import annotations

import logging
import sqlite3
import time

from standin.web import Response

logger = logging.getLogger(__name__)


def lookup(conn: sqlite3.Connection, key: str) -> Response | None:
    """The cached page for ``key``, marked as a hit, or None."""
    row = conn.execute("SELECT content_type, body FROM page_cache WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    response = Response(200, bytes(row["body"]), row["content_type"])
    response.headers += [("Cache-Control", "no-store"), ("X-Standin-Cache", "HIT")]
    return response


def store(conn: sqlite3.Connection, key: str, response: Response) -> None:
    """Keep ``response`` for later anonymous visitors of ``key``."""
    conn.execute(
        "INSERT OR REPLACE INTO page_cache (key, content_type, body, created_at)"
        " VALUES (?, ?, ?, ?)",
        (key, response.content_type, response.body, time.time()),
    )
    response.headers.append(("X-Standin-Cache", "MISS"))


def flush(conn: sqlite3.Connection) -> int:
    """Drop every cached page; return how many there were."""
    count = conn.execute("DELETE FROM page_cache").rowcount
    logger.info("page cache flushed (%d pages)", count)
    return count
