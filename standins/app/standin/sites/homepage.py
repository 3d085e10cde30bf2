"""The WebArena homepage: links to the other sites, each URL a `link.<site>` config row."""

from __future__ import annotations

import re
import sqlite3
from html import escape

from standin import db
from standin.context import Context
from standin.layout import page
from standin.modes import LINKED_SITES, MODES
from standin.router import route
from standin.site import Site
from standin.web import Response

MODE = MODES["homepage"]


def link_key(site: str) -> str:
    """Config key holding the URL the homepage uses for ``site``."""
    return f"link.{site}"


def home(ctx: Context, _match: re.Match[str]) -> Response:
    """One ``a.site-link[data-site]`` per WebArena site."""
    items = []
    for site in LINKED_SITES:
        url = db.get_config(ctx.conn, link_key(site)) or MODES[site].entry_url
        items.append(
            f'<li><a class="site-link" data-site="{site}" href="{escape(url)}">'
            f"{escape(MODES[site].label)}</a></li>"
        )
    body = '<h1>Welcome to WebArena</h1>\n<ul id="site-links">\n' + "\n".join(items) + "\n</ul>"
    return page(ctx, "Home", body)


def seed(conn: sqlite3.Connection) -> None:
    """Store each link's canonical URL."""
    for site in LINKED_SITES:
        db.set_config(conn, link_key(site), MODES[site].entry_url)


SITE = Site(mode=MODE, routes=(route("GET", "/", home),), nav=(("Home", "/"),), seed=seed)
