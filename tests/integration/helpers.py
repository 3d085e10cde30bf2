"""Small helpers the integration tests share."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from webarena_isolation.browser import launch_chromium

_ABSOLUTE = re.compile(r"""(?:href|src|action)\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)


def get(port: int, path: str, *, cookie: str | None = None) -> http.client.HTTPResponse:
    """One GET to 127.0.0.1:port without following redirects; the body is read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def absolute_urls(page_html: str) -> list[str]:
    """Every absolute URL in href, src and action attributes."""
    return _ABSOLUTE.findall(page_html)


def netlocs(urls: list[str]) -> set[str]:
    return {urlsplit(url).netloc for url in urls}


def browse(urls: list[str], storage_state: str | None = None) -> list[tuple[str, str]]:
    """Open each URL in Chromium; return (final URL, HTML) for each."""
    seen = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(storage_state=storage_state)
            page = context.new_page()
            for url in urls:
                page.goto(url)
                seen.append((page.url, page.content()))
        finally:
            browser.close()
    return seen
