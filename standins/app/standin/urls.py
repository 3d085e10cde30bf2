"""Validation of the URLs the reconfiguration commands accept."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


class BadUrlError(ValueError):
    """Raised for a URL that cannot serve as a site address."""


def normalize_base(url: str) -> str:
    """Check an http(s) base URL and return it without a trailing slash."""
    parts = _checked(url)
    if parts.query or parts.fragment:
        raise BadUrlError(f"base URL must not have a query or fragment: {url!r}")
    return url.rstrip("/")


def check_link(url: str) -> str:
    """Check an absolute http(s) URL used as a plain link; return it unchanged."""
    _checked(url)
    return url


def port_of(url: str) -> int:
    """The TCP port a URL names, defaulting by scheme like a browser."""
    parts = _checked(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def _checked(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise BadUrlError(f"malformed URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUrlError(f"expected an absolute http(s) URL, got {url!r}")
    return parts
