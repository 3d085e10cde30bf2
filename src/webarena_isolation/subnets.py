"""Giving each task network a subnet of its own from a range we manage.

Docker's default address pools hold about 30 bridge networks, far fewer than the number of
environments one host can run. Each task network therefore gets an explicit small subnet
(a /28 by default: room for 13 containers) carved from one private range. Subnets the engine
already uses are skipped; a subnet another process takes at the same moment makes the create
fail with an overlap error, and the caller tries the next one.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
from collections.abc import Iterator

import docker

from webarena_isolation.errors import EngineError

logger = logging.getLogger(__name__)

DEFAULT_RANGE = "10.213.0.0/16"
DEFAULT_PREFIX = 28


def configured_range() -> tuple[ipaddress.IPv4Network, int]:
    """The range and subnet size to use: ``$WAI_SUBNET_RANGE`` (``CIDR`` or ``CIDR/prefix``).

    Examples: ``10.213.0.0/16`` (default, /28 subnets), ``172.29.0.0/16:27``.

    Raises:
        EngineError: the setting is not a valid IPv4 range.
    """
    text = os.environ.get("WAI_SUBNET_RANGE", DEFAULT_RANGE)
    cidr, _, prefix = text.partition(":")
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
        size = int(prefix) if prefix else DEFAULT_PREFIX
    except ValueError as exc:
        raise EngineError(
            f"WAI_SUBNET_RANGE={text!r} is not a range like 10.213.0.0/16 or 10.213.0.0/16:28",
            hint=str(exc),
        ) from None
    if not network.prefixlen < size <= 29:
        raise EngineError(
            f"WAI_SUBNET_RANGE={text!r}: subnet size must be /{network.prefixlen + 1} to /29"
        )
    return network, size


def _subnets_in_use(client: docker.DockerClient) -> list[ipaddress.IPv4Network]:
    used = []
    for entry in client.api.networks():
        for config in (entry.get("IPAM") or {}).get("Config") or []:
            subnet = config.get("Subnet")
            if subnet and ":" not in subnet:
                used.append(ipaddress.IPv4Network(subnet, strict=False))
    return used


class SubnetAllocator:
    """Hands out free subnets of the configured range, one thread at a time."""

    def __init__(self) -> None:
        self.range, self.prefix = configured_range()
        self._lock = threading.Lock()
        self._handed: set[ipaddress.IPv4Network] = set()

    def candidates(self, client: docker.DockerClient) -> Iterator[ipaddress.IPv4Network]:
        """Free subnets, lowest first; each stays reserved in this process until released."""
        used = _subnets_in_use(client)
        for subnet in self.range.subnets(new_prefix=self.prefix):
            with self._lock:
                if subnet in self._handed or any(subnet.overlaps(u) for u in used):
                    continue
                self._handed.add(subnet)
            yield subnet

    def release(self, subnet: ipaddress.IPv4Network) -> None:
        """Give a subnet back (its network is gone, or could not be made)."""
        with self._lock:
            self._handed.discard(subnet)


def is_overlap_error(exc: Exception) -> bool:
    """Whether the engine refused a network because its subnet is taken."""
    text = str(exc).lower()
    return "overlap" in text or "pool" in text and "in use" in text


ALLOCATOR: SubnetAllocator | None = None
_ALLOCATOR_LOCK = threading.Lock()


def allocator() -> SubnetAllocator:
    """The process-wide allocator."""
    global ALLOCATOR
    with _ALLOCATOR_LOCK:
        if ALLOCATOR is None:
            ALLOCATOR = SubnetAllocator()
        return ALLOCATOR
