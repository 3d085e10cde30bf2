"""Preparing a Debian host: Docker engine, Chromium and debootstrap, installed when missing.

On a host whose engine already answers, nothing about the engine is touched.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

import docker

from webarena_isolation import engine
from webarena_isolation.errors import EngineError, SetupError

logger = logging.getLogger(__name__)

DOCKERD_LOG = Path("/var/log/webarena-isolation-dockerd.log")
ENGINE_WAIT_S = 60.0

# Debian package that provides each command we need.
PACKAGES = {"dockerd": "docker.io", "chromium": "chromium", "debootstrap": "debootstrap"}


def _require_root_debian(why: str) -> None:
    if os.geteuid() != 0:
        raise SetupError(f"{why} needs root", hint="run `webarena-isolation setup` as root")
    if not Path("/etc/debian_version").exists():
        raise SetupError(
            f"{why} needs a Debian host (no /etc/debian_version)",
            hint="install Docker, Chromium and debootstrap yourself, then run setup again",
        )


def install_packages(commands: list[str]) -> list[str]:
    """apt-get install the packages providing ``commands`` that aren't on PATH.

    Returns:
        The packages installed (empty when nothing was missing).

    Raises:
        SetupError: not root, not Debian, or apt-get failed.
    """
    missing = [PACKAGES[c] for c in commands if shutil.which(c) is None and c in PACKAGES]
    if not missing:
        return []
    _require_root_debian(f"installing {', '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        logger.info("running %s", " ".join(argv))
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise SetupError(f"`{' '.join(argv)}` failed: {' | '.join(tail)}")
    return missing


def start_dockerd() -> None:
    """Start ``dockerd`` in a session of its own, logging to :data:`DOCKERD_LOG`."""
    _require_root_debian("starting dockerd")
    DOCKERD_LOG.parent.mkdir(parents=True, exist_ok=True)
    with DOCKERD_LOG.open("ab") as log:
        # A session of its own, so the engine outlives this process and its terminal.
        subprocess.Popen(
            ["dockerd"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    logger.info("started dockerd (log: %s)", DOCKERD_LOG)


def ensure_engine(*, wait_s: float = ENGINE_WAIT_S) -> docker.DockerClient:
    """Return a client for a running engine, installing and starting one if none answers.

    Raises:
        SetupError: the engine can't be installed or started here.
    """
    try:
        return engine.connect(timeout=10)
    except EngineError:
        logger.info("no Docker engine answers; installing/starting one")
    install_packages(["dockerd"])
    start_dockerd()
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return engine.connect(timeout=10)
        except EngineError:
            if time.monotonic() > deadline:
                tail = DOCKERD_LOG.read_text(errors="replace").splitlines()[-5:]
                raise SetupError(
                    f"dockerd did not answer within {wait_s:.0f} s: {' | '.join(tail)}",
                    hint=f"see {DOCKERD_LOG}",
                ) from None
            time.sleep(0.5)
