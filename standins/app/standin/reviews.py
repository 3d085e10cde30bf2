"""Magento admin product reviews: the record list plus status counts and approval."""

from __future__ import annotations

import logging
import re
from html import escape

from standin import records
from standin.context import Context
from standin.guards import require_form_key, require_login
from standin.layout import not_found
from standin.records import Record, RecordList
from standin.router import Route, route
from standin.web import Response, redirect

logger = logging.getLogger(__name__)

APPROVED, PENDING, NOT_APPROVED = "Approved", "Pending", "Not Approved"
STATUSES = (APPROVED, PENDING, NOT_APPROVED)
PATH = "/admin/reviews"


def _counts(_ctx: Context, items: list[Record]) -> str:
    """``#review-counts``: one ``li[data-status]`` per status with a ``.count``."""
    lines = [
        f'<li data-status="{escape(status)}">{escape(status)}: <span class="count">'
        f"{sum(item.status == status for item in items)}</span></li>"
        for status in STATUSES
    ]
    return '<ul id="review-counts">\n' + "\n".join(lines) + "\n</ul>"


def _approve_button(ctx: Context, item: Record) -> str:
    """An approve form for a review that is not approved yet."""
    if item.status == APPROVED or ctx.session is None:
        return ""
    action = escape(ctx.url(f"{PATH}/{item.id}/approve"))
    return (
        f' <form class="approve-form" method="post" action="{action}">'
        f'<input type="hidden" name="form_key" value="{escape(ctx.session.form_key)}">'
        '<button type="submit">Approve</button></form>'
    )


def approve(ctx: Context, match: re.Match[str]) -> Response:
    """Set one review's status to Approved."""
    if (refused := require_login(ctx) or require_form_key(ctx)) is not None:
        return refused
    review_id = int(match.group(1))
    changed = ctx.conn.execute(
        "UPDATE records SET status = ? WHERE id = ?", (APPROVED, review_id)
    ).rowcount
    if not changed:
        return not_found(ctx)
    logger.info("review %d approved by %s", review_id, ctx.user)
    return redirect(ctx.url(PATH))


REVIEWS = RecordList(
    path=PATH,
    heading="Reviews",
    noun="review",
    new_status=PENDING,
    summary=_counts,
    item_actions=_approve_button,
)


def routes() -> tuple[Route, ...]:
    """List, add and approve."""
    return (*records.routes(REVIEWS), route("POST", rf"{PATH}/(\d+)/approve", approve))
