"""Harness for the stand-in tests: `standin.py` runs as a subprocess on 127.0.0.1.

Fixtures hand out Standin objects (one server process each) and their HTTP clients, so the
test modules need no imports from here.
"""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

APP = Path(__file__).resolve().parents[2] / "standins" / "app" / "standin.py"
HOST = "127.0.0.1"
CANONICAL = {
    "shopping": "http://localhost:7770",
    "shopping_admin": "http://localhost:7780",
    "reddit": "http://localhost:9999",
    "gitlab": "http://localhost:8023",
    "wikipedia": "http://localhost:8888",
    "map": "http://localhost:3000",
    "homepage": "http://localhost:4399",
}
APP_PREFIX = {"shopping_admin": "/admin"}
ACCOUNTS = {
    "shopping": ("emma.lopez@gmail.com", "Password.123"),
    "shopping_admin": ("admin", "admin1234"),
    "reddit": ("MarvelsGrantMan136", "test1234"),
    "gitlab": ("byteblaze", "hello1234"),
}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


@dataclass
class Element:
    """One parsed element: tag, attributes and all text inside it."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    ancestors: list[Element] = field(default_factory=list, repr=False)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()


class Doc(HTMLParser):
    """Minimal DOM-ish index of a page, enough for the markup contract."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, "", list(self._open))
        self.elements.append(element)
        if tag not in VOID_TAGS:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def find(
        self, tag: str | None = None, *, within: Element | None = None, **attrs: str
    ) -> list[Element]:
        """Elements with ``tag`` whose attributes equal ``attrs`` (cls= matches a class),
        optionally only those inside ``within``."""
        wanted_class = attrs.pop("cls", None)
        return [
            element
            for element in self.elements
            if (tag is None or element.tag == tag)
            and (wanted_class is None or wanted_class in element.classes)
            and (within is None or any(parent is within for parent in element.ancestors))
            and all(element.attrs.get(name) == value for name, value in attrs.items())
        ]

    def one(
        self, tag: str | None = None, *, within: Element | None = None, **attrs: str
    ) -> Element:
        """The single element matching; fails the test otherwise."""
        found = self.find(tag, within=within, **attrs)
        assert len(found) == 1, f"expected one {tag} {attrs}, found {len(found)}"
        return found[0]

    def form_key(self, form_id: str) -> str:
        """The hidden form_key value inside ``form#form_id``."""
        form = self.one("form", id=form_id)
        return self.one("input", name="form_key", within=form).attrs["value"]

    def texts(self, cls: str) -> list[str]:
        """Stripped text of every element with class ``cls``."""
        return [element.text.strip() for element in self.find(cls=cls)]


@dataclass
class Reply:
    """One HTTP response, never a followed redirect."""

    status: int
    headers: Message
    raw: bytes

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    @property
    def doc(self) -> Doc:
        return Doc(self.text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    """A browser-ish HTTP client with its own cookie jar, bound to one local port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> Reply:
        return self.request("POST", path, urllib.parse.urlencode(fields).encode())

    def request(self, method: str, path: str, data: bytes | None = None) -> Reply:
        """``path`` may be an absolute URL; only its path and query are used (127.0.0.1)."""
        parts = urllib.parse.urlsplit(path)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        request = urllib.request.Request(
            f"http://{HOST}:{self.port}{target}", data=data, method=method
        )
        try:
            with self._opener.open(request, timeout=10) as response:
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, error.headers, error.read())

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((cookie for cookie in self.jar if cookie.name == name), None)

    def login(self, mode: str, password: str | None = None) -> Reply:
        """Fetch the form, post the account's credentials with the form key."""
        prefix = APP_PREFIX.get(mode, "")
        form_key = self.get(f"{prefix}/login").doc.form_key("login-form")
        username, real_password = ACCOUNTS[mode]
        fields = {"username": username, "password": password or real_password}
        return self.post(f"{prefix}/login", {**fields, "form_key": form_key})


@dataclass
class Standin:
    """One `standin.py serve` subprocess with its own data dir."""

    mode: str
    data_dir: Path
    port: int
    boot_s: float = 0.2
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def initial_base(self) -> str:
        """Base URL right after start: canonical, except GitLab's moved to ``port``."""
        return f"http://localhost:{self.port}" if self.mode == "gitlab" else CANONICAL[self.mode]

    @property
    def log_path(self) -> Path:
        return self.data_dir / "serve.log"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "STANDIN_SITE": self.mode,
            "STANDIN_DATA_DIR": str(self.data_dir),
            "STANDIN_PORT": str(self.port),
            "STANDIN_BIND": HOST,
            "STANDIN_BOOT_S": str(self.boot_s),
            **self.extra_env,
        }

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a standin.py command against this instance's data dir and mode."""
        result = subprocess.run(
            [sys.executable, str(APP), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check:
            assert result.returncode == 0, f"{args} failed: {result.stderr}"
        return result

    def start(self, wait_path: str | None = "/static/style.css") -> Standin:
        """Launch `serve`; wait until ``wait_path`` stops answering 503."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(APP), "serve"],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if wait_path is not None:
            self.wait_ready(wait_path)
        return self

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        """Poll ``condition`` until true; fail with the server log on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"server exited ({self.process.returncode}): {self.log()}")
            time.sleep(0.05)
        pytest.fail(f"timed out waiting for {what}: {self.log()}")

    def listening(self, port: int | None = None) -> bool:
        """True when ``port`` (default: this instance's) accepts connections."""
        return port_open(port or self.port)

    def wait_listening(self, port: int | None = None) -> None:
        self.wait_until(lambda: port_open(port or self.port), f"port {port or self.port}")

    def wait_ready(self, path: str) -> None:
        self.wait_listening()

        def ready() -> bool:
            try:
                return self.client().get(path).status != 503
            except OSError:
                return False

        self.wait_until(ready, f"{path} to be ready")

    def client(self) -> Client:
        return Client(self.port)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it lingers; return the exit status."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise


@pytest.fixture
def make_standin(tmp_path: Path) -> Iterator[Callable[..., Standin]]:
    """Factory ``make_standin(mode, name=..., start=True, port=..., boot_s=...)``.

    GitLab ignores STANDIN_PORT, so its external_url is first pointed at the chosen port.
    """
    made: list[Standin] = []

    def make(
        mode: str,
        *,
        name: str = "data",
        start: bool = True,
        port: int | None = None,
        **fields: Any,
    ) -> Standin:
        instance = Standin(mode, tmp_path / f"{mode}-{name}", port or free_port(), **fields)
        made.append(instance)
        if mode == "gitlab":
            instance.cli("init", "--mode", "gitlab")
            instance.cli("set-config", "external_url", f"http://localhost:{instance.port}")
        return instance.start() if start else instance

    yield make
    for instance in made:
        instance.stop()


@pytest.fixture
def canonical() -> dict[str, str]:
    return CANONICAL


@pytest.fixture
def app_prefix() -> dict[str, str]:
    return APP_PREFIX


@pytest.fixture
def unused_port() -> Callable[[], int]:
    """Function returning a currently free local port."""
    return free_port
