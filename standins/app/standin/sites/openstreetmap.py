"""OpenStreetMap: a read-only map page and 256 px tiles, all linked relatively."""

from __future__ import annotations

import re
from html import escape

from standin.assets import TILE_PNG
from standin.context import Context
from standin.layout import not_found, page
from standin.modes import MODES
from standin.router import route
from standin.site import Site
from standin.web import Response

MODE = MODES["map"]
MAX_ZOOM = 19


def home(ctx: Context, _match: re.Match[str]) -> Response:
    """The map page showing the zoom-0 tile."""
    tile = escape(ctx.url("/tile/0/0/0.png"))
    body = f'<h1>OpenStreetMap</h1>\n<img id="map-tile" src="{tile}" alt="World map tile">'
    return page(ctx, "Map", body)


def tile(ctx: Context, match: re.Match[str]) -> Response:
    """Any tile inside the usual slippy-map grid; all look like open sea."""
    zoom, x, y = (int(part) for part in match.groups())
    if zoom > MAX_ZOOM or x >= 2**zoom or y >= 2**zoom:
        return not_found(ctx)
    return Response(200, TILE_PNG, "image/png", [("Cache-Control", "max-age=86400")])


SITE = Site(
    mode=MODE,
    routes=(
        route("GET", "/", home),
        route("GET", r"/tile/(\d{1,2})/(\d{1,7})/(\d{1,7})\.png", tile),
    ),
    nav=(("Map", "/"),),
)
