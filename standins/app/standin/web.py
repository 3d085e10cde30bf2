"""Plain request and response values passed between the HTTP server and the site code."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request; ``path`` is percent-decoded, without the query."""

    method: str
    path: str
    query: str = ""
    form: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def cache_key(self) -> str:
        """Path plus query, the page cache key."""
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass
class Response:
    """Status, body and headers of one reply."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sets_cookie(self) -> bool:
        """True when the reply carries a Set-Cookie header (so is private to one visitor)."""
        return any(name.lower() == "set-cookie" for name, _ in self.headers)


def plain(status: int, text: str) -> Response:
    """A short text/plain reply, for answers given before or instead of a page."""
    return Response(status, text.encode(), "text/plain; charset=utf-8")


def redirect(location: str, status: int = 302) -> Response:
    """A redirect to ``location``, which callers build from the stored base URL."""
    return Response(status, b"", "text/plain; charset=utf-8", [("Location", location)])


def parse_form(body: bytes) -> dict[str, str]:
    """Decode an application/x-www-form-urlencoded body; the first value of a name wins."""
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def parse_cookies(header: str | None) -> dict[str, str]:
    """Cookie header to a dict; the first of a name wins (browsers send the most specific first)."""
    cookies: dict[str, str] = {}
    for pair in (header or "").split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep and name:
            cookies.setdefault(name, value.strip().strip('"'))
    return cookies
