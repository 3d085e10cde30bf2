"""Readiness probes and the one poll loop that waits on them."""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from webarena_isolation.catalog import ReadinessSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeResult:
    """One probe attempt: ``ready`` and a short word on what was seen."""

    ready: bool
    detail: str


@dataclass(frozen=True)
class HttpProbe:
    """A GET of ``path`` on 127.0.0.1:``port`` that is ready on one of ``statuses``.

    Redirects are not followed: a site that redirects to its stored base URL is answering.
    """

    host: str
    port: int
    spec: ReadinessSpec
    request_timeout_s: float = 5.0

    def __call__(self) -> ProbeResult:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=self.request_timeout_s
        )
        try:
            connection.request("GET", self.spec.path, headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read(256 * 1024)
        except (OSError, http.client.HTTPException) as exc:
            return ProbeResult(False, f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()
        if response.status not in self.spec.statuses:
            return ProbeResult(False, f"HTTP {response.status}")
        needle = self.spec.body_contains
        if needle and needle.encode() not in body:
            return ProbeResult(False, f"HTTP {response.status} without {needle!r}")
        return ProbeResult(True, f"HTTP {response.status}")


def wait_until_ready(
    probe: Callable[[], ProbeResult],
    *,
    timeout: float,
    interval_s: float,
    still_alive: Callable[[], None] | None = None,
) -> tuple[bool, str, float]:
    """Poll ``probe`` until it is ready or ``timeout`` seconds have passed.

    Args:
        probe: the check to repeat.
        timeout: seconds before giving up.
        interval_s: pause between attempts.
        still_alive: called before each attempt; it raises to stop early, e.g. when the
            container has exited.

    Returns:
        ``(ready, last_detail, seconds_waited)``.
    """
    started = time.monotonic()
    deadline = started + timeout
    detail = "no attempt made"
    attempts = 0
    while True:
        if still_alive is not None:
            still_alive()
        attempts += 1
        result = probe()
        detail = result.detail
        logger.debug("probe attempt %d: %s", attempts, detail)
        now = time.monotonic()
        if result.ready:
            return True, detail, now - started
        if now + interval_s > deadline:
            return False, detail, now - started
        time.sleep(interval_s)
