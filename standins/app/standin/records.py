"""The one record list page per stateful mode, with its add form (uniform markup).

Contract: each title in ``.record-title``; the add form is ``form#record-form`` (POST to an
absolute URL) with ``input[name=title]``, hidden ``form_key`` and ``button[type=submit]``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from standin.context import Context
from standin.guards import require_form_key, require_login
from standin.layout import page
from standin.router import Route, route
from standin.web import Response, redirect

logger = logging.getLogger(__name__)

MAX_TITLE = 200


@dataclass(frozen=True)
class Record:
    """One row of the list: a review, post, issue or wishlist item."""

    id: int
    title: str
    owner: str | None
    status: str | None


@dataclass(frozen=True)
class RecordList:
    """How one mode presents its records."""

    path: str
    heading: str
    noun: str
    view_needs_login: bool = True
    per_user: bool = False  # each user sees only their own (wishlist)
    new_status: str | None = None
    summary: Callable[[Context, list[Record]], str] | None = None
    item_actions: Callable[[Context, Record], str] | None = None


def add(conn: sqlite3.Connection, title: str, owner: str | None, status: str | None) -> int:
    """Store a record; return its id."""
    cursor = conn.execute(
        "INSERT INTO records (title, owner, status, created_at) VALUES (?, ?, ?, ?)",
        (title, owner, status, time.time()),
    )
    return int(cursor.lastrowid or 0)


def fetch(conn: sqlite3.Connection, owner: str | None = None) -> list[Record]:
    """All records, or those of ``owner``, oldest first."""
    sql = "SELECT id, title, owner, status FROM records"
    rows = (
        conn.execute(sql + " WHERE owner = ? ORDER BY id", (owner,))
        if owner is not None
        else conn.execute(sql + " ORDER BY id")
    )
    return [Record(row["id"], row["title"], row["owner"], row["status"]) for row in rows]


def routes(spec: RecordList) -> tuple[Route, ...]:
    """GET shows the list, POST to the same path adds a record."""

    def show(ctx: Context, _match: re.Match[str]) -> Response:
        if spec.view_needs_login and (refused := require_login(ctx)) is not None:
            return refused
        return _page(ctx, spec)

    def create(ctx: Context, _match: re.Match[str]) -> Response:
        if (refused := require_login(ctx) or require_form_key(ctx)) is not None:
            return refused
        title = " ".join(ctx.request.form.get("title", "").split())
        if not title or len(title) > MAX_TITLE:
            return _page(ctx, spec, f"A title of 1 to {MAX_TITLE} characters is required.")
        record_id = add(ctx.conn, title, ctx.user, spec.new_status)
        logger.info("%s %d added by %s", spec.noun, record_id, ctx.user)
        return redirect(ctx.url(spec.path))

    pattern = re.escape(spec.path)
    return (route("GET", pattern, show), route("POST", pattern, create))


def _page(ctx: Context, spec: RecordList, error: str | None = None) -> Response:
    items = fetch(ctx.conn, ctx.user if spec.per_user else None)
    parts = [f"<h1>{escape(spec.heading)}</h1>"]
    if spec.summary:
        parts.append(spec.summary(ctx, items))
    if error:
        parts.append(f'<p class="error" id="record-error">{escape(error)}</p>')
    parts.append(_list(ctx, spec, items))
    parts.append(_form(ctx, spec))
    return page(ctx, spec.heading, "\n".join(parts), 400 if error else 200)


def _list(ctx: Context, spec: RecordList, items: list[Record]) -> str:
    if not items:
        return f'<p id="no-records">No {escape(spec.noun)}s yet.</p>'
    lines = []
    for item in items:
        extra = spec.item_actions(ctx, item) if spec.item_actions else ""
        status = f' <span class="record-status">{escape(item.status)}</span>' if item.status else ""
        lines.append(
            f'<li class="record" data-id="{item.id}" data-status="{escape(item.status or "")}">'
            f'<span class="record-title">{escape(item.title)}</span>'
            f' <span class="record-owner">{escape(item.owner or "")}</span>{status}{extra}</li>'
        )
    return '<ul id="records">\n' + "\n".join(lines) + "\n</ul>"


def _form(ctx: Context, spec: RecordList) -> str:
    if ctx.session is None or not ctx.user:
        login = escape(ctx.url(ctx.mode.login_path))
        return f'<p id="sign-in-to-add"><a href="{login}">Sign in</a> to add a {spec.noun}.</p>'
    return f"""<form id="record-form" method="post" action="{escape(ctx.url(spec.path))}">
<input type="hidden" name="form_key" value="{escape(ctx.session.form_key)}">
<p><label for="record-title-input">Title</label>
<input id="record-title-input" type="text" name="title" maxlength="{MAX_TITLE}" required></p>
<p><button type="submit">Add {escape(spec.noun)}</button></p>
</form>"""
