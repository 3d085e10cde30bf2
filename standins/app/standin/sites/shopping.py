"""Magento storefront: cacheable catalog pages and the customer's wishlist."""

from __future__ import annotations

import re
import sqlite3
from html import escape

from standin import records
from standin.context import Context
from standin.layout import not_found, page
from standin.modes import MODES
from standin.records import RecordList
from standin.router import route
from standin.site import Site
from standin.web import Response

MODE = MODES["shopping"]

PRODUCTS: dict[str, tuple[str, str]] = {
    "trail-running-shoes": ("Trail Running Shoes", "Light shoes with a grippy sole, $59.99."),
    "ceramic-tea-mug": ("Ceramic Tea Mug", "A 350 ml mug that keeps tea warm, $12.50."),
    "wireless-earbuds": ("Wireless Earbuds", "Eight hours of music per charge, $39.00."),
}

WISHLIST = RecordList(path="/wishlist/", heading="My Wish List", noun="item", per_user=True)


def home(ctx: Context, _match: re.Match[str]) -> Response:
    """Store front with links to every product."""
    items = "\n".join(
        f'<li><a class="product-link" href="{escape(ctx.url(f"/product/{slug}"))}">'
        f"{escape(name)}</a></li>"
        for slug, (name, _) in PRODUCTS.items()
    )
    return page(ctx, "Home", f'<h1>One Stop Market</h1>\n<ul id="products">\n{items}\n</ul>')


def product(ctx: Context, match: re.Match[str]) -> Response:
    """One product page."""
    if (found := PRODUCTS.get(match.group(1))) is None:
        return not_found(ctx)
    name, description = found
    body = f'<h1 id="product-name">{escape(name)}</h1>\n<p>{escape(description)}</p>'
    return page(ctx, name, body)


def seed(conn: sqlite3.Connection) -> None:
    """The customer starts with two wishlist items."""
    user = MODE.account[0] if MODE.account else None
    for name in ("Ceramic Tea Mug", "Wireless Earbuds"):
        records.add(conn, name, user, None)


SITE = Site(
    mode=MODE,
    routes=(
        route("GET", "/", home, cacheable=True),
        route("GET", r"/product/([a-z0-9-]+)", product, cacheable=True),
        *records.routes(WISHLIST),
    ),
    nav=(("Home", "/"), ("Wish List", WISHLIST.path)),
    seed=seed,
)
