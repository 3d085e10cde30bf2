"""Magento admin under /admin: a dashboard and the product reviews grid."""

from __future__ import annotations

import re
import sqlite3
from html import escape

from standin import records, reviews
from standin.context import Context
from standin.guards import require_login
from standin.layout import page
from standin.modes import MODES
from standin.router import route
from standin.site import Site
from standin.web import Response, redirect

MODE = MODES["shopping_admin"]

SEED_REVIEWS = (
    ("Fits well, runs a little small", "sarah_k", reviews.APPROVED),
    ("Great value for the price", "mike.t", reviews.APPROVED),
    ("Colour faded after one wash", "jlee", reviews.APPROVED),
    ("Arrived quickly, nicely packed", "anna_b", reviews.PENDING),
    ("Not sure about the stitching", "dev_r", reviews.PENDING),
    ("Spam: visit my shop", "promo_bot", reviews.NOT_APPROVED),
)


def to_admin(ctx: Context, _match: re.Match[str]) -> Response:
    """The bare host leads into the admin app."""
    return redirect(ctx.url(f"{MODE.app_prefix}/"))


def dashboard(ctx: Context, _match: re.Match[str]) -> Response:
    """Admin start page."""
    if (refused := require_login(ctx)) is not None:
        return refused
    link = escape(ctx.url(reviews.PATH))
    return page(ctx, "Dashboard", f'<h1>Dashboard</h1>\n<p><a href="{link}">Reviews</a></p>')


def seed(conn: sqlite3.Connection) -> None:
    """A handful of reviews in every status."""
    for title, author, status in SEED_REVIEWS:
        records.add(conn, title, author, status)


SITE = Site(
    mode=MODE,
    routes=(
        route("GET", "/", to_admin),
        route("GET", "/admin/?", dashboard),
        *reviews.routes(),
    ),
    nav=(("Dashboard", "/admin/"), ("Reviews", reviews.PATH)),
    seed=seed,
)
