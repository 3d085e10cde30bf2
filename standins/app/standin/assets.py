"""The static files every mode serves: a stylesheet, a logo and a map tile."""

from __future__ import annotations

import struct
import zlib

STYLE_CSS = b"""\
body { font-family: sans-serif; margin: 0; color: #222; }
header { display: flex; align-items: center; gap: 1em; padding: .5em 1em; background: #eee; }
header img { height: 32px; }
nav a { margin-right: 1em; }
main { padding: 1em; }
.error { color: #b00; font-weight: bold; }
.record { margin: .3em 0; }
label { display: inline-block; min-width: 6em; }
"""

LOGO_SVG = b"""\
<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#3465a4"/>
<text x="16" y="22" font-size="16" text-anchor="middle" fill="#fff">S</text>
</svg>
"""


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid single-colour RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width  # filter byte "none", then the pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


TILE_PNG = _png(256, 256, (170, 211, 223))  # OSM-style 256px tile, sea blue

STATIC_FILES: dict[str, tuple[bytes, str]] = {
    "/static/style.css": (STYLE_CSS, "text/css; charset=utf-8"),
    "/static/logo.svg": (LOGO_SVG, "image/svg+xml"),
}
