"""Reading and writing a mode's stored base URL, in each real site's storage style."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from standin import db, pagecache
from standin.modes import Mode, UrlStore
from standin.urls import normalize_base

UNSECURE_PATH = "web/unsecure/base_url"
SECURE_PATH = "web/secure/base_url"
CONFIG_KEY = "base_url"
EXTERNAL_URL_KEY = "external_url"


class BaseUrls(NamedTuple):
    """The two addresses a page may use; equal except in the Magento modes."""

    unsecure: str
    secure: str


def read(conn: sqlite3.Connection, mode: Mode) -> BaseUrls:
    """The base URLs currently stored for ``mode`` (no trailing slash)."""
    if mode.url_store is UrlStore.MAGENTO:
        return BaseUrls(
            _stored(db.get_core_config(conn, UNSECURE_PATH), mode),
            _stored(db.get_core_config(conn, SECURE_PATH), mode),
        )
    key = EXTERNAL_URL_KEY if mode.url_store is UrlStore.GITLAB else CONFIG_KEY
    url = _stored(db.get_config(conn, key), mode)
    return BaseUrls(url, url)


def write(conn: sqlite3.Connection, mode: Mode, url: str) -> str:
    """Store ``url`` everywhere ``mode`` keeps its base URL; return the normalized URL.

    In the Magento modes both slots are written and the page cache is flushed, so this one
    call fully moves the site.
    """
    url = normalize_base(url)
    with db.transaction(conn):
        if mode.url_store is UrlStore.MAGENTO:
            write_magento_slot(conn, UNSECURE_PATH, url)
            write_magento_slot(conn, SECURE_PATH, url)
            pagecache.flush(conn)
        elif mode.url_store is UrlStore.GITLAB:
            db.set_config(conn, EXTERNAL_URL_KEY, url)
        else:
            db.set_config(conn, CONFIG_KEY, url)
    return url


def write_magento_slot(conn: sqlite3.Connection, path: str, url: str) -> None:
    """Store one Magento base URL slot, with the trailing slash Magento keeps."""
    db.set_core_config(conn, path, normalize_base(url) + "/")


def _stored(value: str | None, mode: Mode) -> str:
    # A row removed by hand falls back to the canonical address rather than breaking pages.
    return (value or mode.canonical_url).rstrip("/")
