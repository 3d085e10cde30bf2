"""Building hrefs: absolute from a stored base URL, or relative like kiwix."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

_SAFE = "/:()_-.,~'!*@$"


def absolute(base: str, path: str) -> str:
    """``path`` under the stored ``base`` URL (the request's Host never matters)."""
    return base.rstrip("/") + quote(path, safe=_SAFE)


def relative(from_path: str, to_path: str) -> str:
    """An href from the page at ``from_path`` to ``to_path`` with no scheme, host or root."""
    from_dir = from_path.rsplit("/", 1)[0] or "/"
    href = posixpath.relpath(to_path, from_dir)
    if href == ".":
        href = "./"
    elif to_path.endswith("/") and not href.endswith("/"):
        href += "/"
    if ":" in href.split("/", 1)[0]:
        # "User:Foo" would otherwise parse as a URL with scheme "user".
        href = "./" + href
    return quote(href, safe=_SAFE)
