"""`serve`: the threaded HTTP server, the slow-start gate, signals and GitLab rebinding."""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import queue
import signal
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from standin import control, db, siteconfig
from standin.app import Application
from standin.modes import UrlStore
from standin.settings import Settings
from standin.site import Site
from standin.web import Request, Response, parse_cookies, parse_form, plain

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
STOP, RELOAD = "stop", "reload"
SIGNAL_EVENTS = {signal.SIGTERM: STOP, signal.SIGINT: STOP, control.RELOAD_SIGNAL: RELOAD}


class BootGate:
    """Answers 503 until the boot delay has passed, like a site still warming up."""

    def __init__(self, seconds: float) -> None:
        self._ready_at = time.monotonic() + seconds

    def refusal(self) -> Response | None:
        """A 503 while booting, else None."""
        remaining = self._ready_at - time.monotonic()
        if remaining <= 0:
            return None
        refusal = plain(503, "starting")
        refusal.headers.append(("Retry-After", str(max(1, math.ceil(remaining)))))
        return refusal


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when a browser opens several.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Application, gate: BootGate) -> None:
        self.app = app
        self.gate = gate
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    timeout = 30

    def version_string(self) -> str:
        """The Server header."""
        return "standin"

    def do_GET(self) -> None:
        self._respond()

    def do_HEAD(self) -> None:
        self._respond()

    def do_POST(self) -> None:
        self._respond()

    def _respond(self) -> None:
        started = time.monotonic()
        response = self.server.gate.refusal() or self._dispatch()
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        try:
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away; nothing left to tell it
        logger.info(
            '%s "%s %s" %d %dB %.1fms',
            self.client_address[0],
            self.command,
            self.path,
            response.status,
            len(response.body),
            (time.monotonic() - started) * 1000,
        )

    def _dispatch(self) -> Response:
        try:
            length = max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return plain(400, "bad Content-Length")
        if length > MAX_BODY:
            return plain(413, "request body too large")
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(parts.path) or "/",
            query=parts.query,
            form=parse_form(body) if self.command == "POST" else {},
            cookies=parse_cookies(self.headers.get("Cookie")),
        )
        return self.server.app.handle(request)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: _respond logs one richer line per request."""

    def log_message(self, fmt: str, *args: object) -> None:
        logger.warning("%s %s", self.client_address[0], fmt % args)


class Listener:
    """One bound port, served by a background thread."""

    def __init__(self, bind: str, port: int, app: Application, gate: BootGate) -> None:
        self._server = _HttpServer((bind, port), app, gate)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"listener-{port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop accepting and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)


class Server:
    """The serve process: listens, follows signals, publishes its state for the CLI."""

    def __init__(self, site: Site, settings: Settings) -> None:
        self.site = site
        self.mode = site.mode
        self.settings = settings
        self.app = Application(site, settings.data_dir)
        self.gate = BootGate(settings.boot_seconds)
        self.events: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.state = control.ServerState(pid=os.getpid(), port=0)

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; return the exit status."""
        for signum, event in SIGNAL_EVENTS.items():
            signal.signal(signum, lambda *_, event=event: self.events.put(event))
        listener = Listener(self.settings.bind, self._apply_port(), self.app, self.gate)
        self._publish(port=listener.port)
        logger.info(
            "serving %s on %s:%d, ready in %.1f s",
            self.mode.name,
            self.settings.bind,
            listener.port,
            self.settings.boot_seconds,
        )
        try:
            while (event := self._next_event()) != STOP:
                if event == RELOAD:
                    listener = self._reload(listener)
        finally:
            listener.close()
            control.withdraw(self.settings.data_dir, self.mode, self.state.pid)
        logger.info("stopped")
        return 0

    def _next_event(self) -> str:
        # A timeout keeps the main thread waking, so signal handlers always get to run.
        while True:
            try:
                return self.events.get(timeout=0.5)
            except queue.Empty:
                continue

    def _apply_port(self) -> int:
        """Load the port to listen on; for GitLab also apply external_url."""
        if self.mode.url_store is not UrlStore.GITLAB:
            return self.settings.port
        conn = db.connect(self.mode.db_path(self.settings.data_dir))
        try:
            config = siteconfig.load_gitlab(conn)
        finally:
            conn.close()
        self.app.applied_external_url = config.external_url
        return config.port

    def _reload(self, listener: Listener) -> Listener:
        """`reconfigure`: reapply GitLab's settings, moving to a new port if they say so."""
        if self.mode.url_store is not UrlStore.GITLAB:
            logger.info("reload requested; nothing to reapply in mode %s", self.mode.name)
            self._publish(reloads=self.state.reloads + 1, error=None)
            return listener
        previous_url = self.app.applied_external_url
        try:
            port = self._apply_port()
            if port != listener.port:
                fresh = Listener(self.settings.bind, port, self.app, self.gate)
                listener.close()
                listener = fresh
        except (OSError, ValueError, sqlite3.Error, db.MissingDatabaseError) as exc:
            self.app.applied_external_url = previous_url
            logger.error("reconfigure failed, still on port %d: %s", listener.port, exc)
            self._publish(reloads=self.state.reloads + 1, error=f"reconfigure failed: {exc}")
            return listener
        logger.info("reconfigured: %s on port %d", self.app.applied_external_url, port)
        self._publish(port=listener.port, reloads=self.state.reloads + 1, error=None)
        return listener

    def _publish(self, **changes: object) -> None:
        self.state = dataclasses.replace(
            self.state, external_url=self.app.applied_external_url, **changes
        )
        control.publish(self.settings.data_dir, self.mode, self.state)
