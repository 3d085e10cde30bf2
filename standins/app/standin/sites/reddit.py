"""Postmill forum: anyone may read /forums/all, only members may post."""

from __future__ import annotations

import re
import sqlite3
from html import escape

from standin import records
from standin.context import Context
from standin.layout import page
from standin.modes import MODES
from standin.records import RecordList
from standin.router import route
from standin.site import Site
from standin.web import Response

MODE = MODES["reddit"]

POSTS = RecordList(path="/forums/all", heading="All forums", noun="post", view_needs_login=False)

SEED_POSTS = (
    ("What book are you reading this month?", "bookworm_22"),
    ("Photos from the river trail this weekend", "trailhead"),
    ("Tips for a first vegetable garden", "greenthumb"),
)


def front(ctx: Context, _match: re.Match[str]) -> Response:
    """Front page pointing at the post list."""
    link = escape(ctx.url(POSTS.path))
    return page(ctx, "Front page", f'<h1>Postmill</h1>\n<p><a href="{link}">All forums</a></p>')


def seed(conn: sqlite3.Connection) -> None:
    """A few posts by other members."""
    for title, author in SEED_POSTS:
        records.add(conn, title, author, None)


SITE = Site(
    mode=MODE,
    routes=(route("GET", "/", front), *records.routes(POSTS)),
    nav=(("Home", "/"), ("All forums", POSTS.path)),
    seed=seed,
)
