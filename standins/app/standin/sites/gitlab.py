"""GitLab: one project with an issue list; signing in also answers at /users/sign_in."""

from __future__ import annotations

import re
import sqlite3
from html import escape

from standin import records
from standin.context import Context
from standin.guards import require_login
from standin.layout import page
from standin.modes import MODES
from standin.records import RecordList
from standin.router import route
from standin.site import Site
from standin.web import Response

MODE = MODES["gitlab"]
PROJECT = "/byteblaze/project"

ISSUES = RecordList(path=f"{PROJECT}/-/issues", heading="Issues", noun="issue")

SEED_ISSUES = (
    ("README has a broken link", "byteblaze"),
    ("Add a licence file", "byteblaze"),
    ("Build fails on Python 3.12", "contributor1"),
)


def dashboard(ctx: Context, _match: re.Match[str]) -> Response:
    """Project list, for signed-in users only (like a private GitLab)."""
    if (refused := require_login(ctx)) is not None:
        return refused
    link = escape(ctx.url(PROJECT))
    body = f'<h1>Projects</h1>\n<p><a href="{link}">byteblaze/project</a></p>'
    return page(ctx, "Projects", body)


def project(ctx: Context, _match: re.Match[str]) -> Response:
    """Project overview."""
    if (refused := require_login(ctx)) is not None:
        return refused
    link = escape(ctx.url(ISSUES.path))
    return page(ctx, "byteblaze/project", f'<h1>project</h1>\n<p><a href="{link}">Issues</a></p>')


def seed(conn: sqlite3.Connection) -> None:
    """A few open issues."""
    for title, author in SEED_ISSUES:
        records.add(conn, title, author, None)


SITE = Site(
    mode=MODE,
    routes=(
        route("GET", "/", dashboard),
        route("GET", re.escape(PROJECT), project),
        *records.routes(ISSUES),
    ),
    nav=(("Projects", "/"), ("Issues", ISSUES.path)),
    seed=seed,
    login_aliases=("/users/sign_in",),
)
