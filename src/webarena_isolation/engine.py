"""Talking to the Docker engine: one client, clear errors, the labels we stamp on things."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

import docker
import docker.errors

from webarena_isolation.errors import EngineError, ImageMissingError

logger = logging.getLogger(__name__)

LABEL_PREFIX = "webarena-isolation"
LABEL_MANAGED = f"{LABEL_PREFIX}.managed"
LABEL_RUN = f"{LABEL_PREFIX}.run-id"
LABEL_TASK = f"{LABEL_PREFIX}.task-id"
LABEL_SITE = f"{LABEL_PREFIX}.site"
LABEL_ENV = f"{LABEL_PREFIX}.env-id"
LABEL_CREATED = f"{LABEL_PREFIX}.created"
LABEL_OWNER_PID = f"{LABEL_PREFIX}.owner-pid"
LABEL_OWNER_HOST = f"{LABEL_PREFIX}.owner-host"
LABEL_ROLE = f"{LABEL_PREFIX}.role"
LABEL_WORK_DIR = f"{LABEL_PREFIX}.work-dir"
LABEL_URL_HOST = f"{LABEL_PREFIX}.url-host"
LABEL_ROUTED = f"{LABEL_PREFIX}.routed"
LABEL_POOL = f"{LABEL_PREFIX}.pool"
LABEL_SITE_SET = f"{LABEL_PREFIX}.site-set"
LABEL_CATALOG = f"{LABEL_PREFIX}.catalog"
LABEL_POOL_SHARED = f"{LABEL_PREFIX}.pool-shared"

START_HINT = (
    "start it with `setsid dockerd >/var/log/dockerd.log 2>&1 &` "
    "(or run `webarena-isolation setup`)"
)


def connect(*, timeout: float = 60.0) -> docker.DockerClient:
    """Return a client for the engine named by ``DOCKER_HOST`` (default: the local socket).

    Raises:
        EngineError: no engine answers.
    """
    try:
        client = docker.from_env(timeout=timeout, max_pool_size=64)
        client.ping()
    except docker.errors.DockerException as exc:
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise EngineError(
            f"the Docker engine at {where} does not answer ({_short(exc)})", hint=START_HINT
        ) from None
    return client


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def missing_images(client: docker.DockerClient, images: Iterable[str]) -> list[str]:
    """The subset of ``images`` the engine doesn't have."""
    missing = []
    for image in images:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            missing.append(image)
    return missing


def require_images(
    client: docker.DockerClient, images: Iterable[str], *, hints: dict[str, str]
) -> None:
    """Stop before anything starts when an image is missing.

    Args:
        images: the images needed.
        hints: per image, how to get it (a ``docker load`` line or a setup command).

    Raises:
        ImageMissingError: naming every missing image and how to load it.
    """
    missing = missing_images(client, images)
    if missing:
        how = "; ".join(hints.get(image) or f"load {image}" for image in missing)
        raise ImageMissingError(missing, hint=how)
