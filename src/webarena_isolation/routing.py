"""Routed mode: sites keep their canonical WebArena URLs; each task's browser is routed.

Every routed environment gets a small HTTP proxy on 127.0.0.1 that knows only that task's
sites: a request for ``http://localhost:7770/...`` goes to the task's own shopping container,
with the Host header left as the browser sent it, so the site sees exactly the address it was
built with. Anything else gets a 502 and never leaves the machine. The browser context is
pointed at the proxy (Playwright's per-context ``proxy``), with ``<-loopback>`` so Chromium
doesn't skip the proxy for ``localhost`` as it does by default.

Why a proxy and not Chromium's ``--host-resolver-rules``: resolver rules map names to
addresses but cannot change ports, and they apply to a whole browser, not one context.
"""

from __future__ import annotations

import http.client
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
UPSTREAM_TIMEOUT_S = 60.0


class _Handler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("route proxy: " + format, *args)

    def _forward(self) -> None:
        target = urlsplit(self.path)
        upstream = self.server.routes.get(target.netloc)
        if target.scheme != "http" or upstream is None:
            self._refuse(f"{target.netloc or self.path} is not a site of this task")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        path = target.path or "/"
        if target.query:
            path += "?" + target.query
        connection = http.client.HTTPConnection(*upstream, timeout=UPSTREAM_TIMEOUT_S)
        try:
            connection.request(self.command, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as exc:
            self._refuse(f"{target.netloc} did not answer: {exc}")
            return
        finally:
            connection.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _refuse(self, why: str) -> None:
        payload = why.encode()
        self.send_response(502)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, routes: dict[str, tuple[str, int]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes


class RouteProxy:
    """A proxy for one task: canonical ``host:port`` → ``127.0.0.1:<its container's port>``."""

    def __init__(self, routes: dict[str, tuple[str, int]]) -> None:
        self.routes = dict(routes)
        self._server = _ProxyServer(self.routes)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="route-proxy", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """Where browsers send their requests."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def context_options(self) -> dict[str, Any]:
        """Keyword arguments for Playwright's ``browser.new_context``."""
        return {"proxy": {"server": self.url, "bypass": "<-loopback>"}}

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
