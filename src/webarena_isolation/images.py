"""The project's own images: a Debian base made with debootstrap, and the stand-in sites.

Nothing is pulled. The base image is imported from a debootstrap rootfs (its tar is cached in
``~/.cache/webarena-isolation``); the stand-in image is built on it from ``standins/`` and
rebuilt only when that folder's content changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker
import docker.errors

from webarena_isolation.errors import SetupError
from webarena_isolation.host_setup import install_packages

logger = logging.getLogger(__name__)

BASE_IMAGE = "webarena-isolation-base:bookworm"
STANDIN_IMAGE = "webarena-isolation-standin:latest"
SOURCE_HASH_LABEL = "webarena-isolation.source-hash"
BASE_PACKAGES = "python3,sqlite3,ca-certificates"
SUITE = "bookworm"


def cache_dir() -> Path:
    """Where the base rootfs tar is kept between builds."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "webarena-isolation"


def standins_dir() -> Path:
    """The ``standins/`` folder: ``$WAI_STANDINS_DIR`` or the one beside this checkout."""
    configured = os.environ.get("WAI_STANDINS_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(__file__).resolve().parents[2] / "standins")
    for candidate in candidates:
        if (candidate / "Dockerfile").is_file():
            return candidate
    raise SetupError(
        "can't find the standins/ folder with its Dockerfile",
        hint="run from a checkout of webarena-isolation or set WAI_STANDINS_DIR",
    )


def debian_mirror() -> str:
    """The Debian mirror this machine's own apt sources name."""
    texts = []
    for path in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
        if path.is_file():
            texts.append(path.read_text(errors="replace"))
    for text in texts:
        for match in re.finditer(r"^\s*URIs:\s*(\S+)", text, re.MULTILINE):
            if "security" not in match.group(1):
                return match.group(1)
        for match in re.finditer(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+", text, re.MULTILINE):
            if "security" not in match.group(1):
                return match.group(1)
    raise SetupError(
        "no Debian mirror found in /etc/apt/sources.list(.d)",
        hint="set WAI_DEBIAN_MIRROR to your mirror's URL",
    )


def _image_exists(client: docker.DockerClient, name: str) -> docker.models.images.Image | None:
    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def _make_rootfs_tar(tar_path: Path) -> None:
    install_packages(["debootstrap"])
    mirror = os.environ.get("WAI_DEBIAN_MIRROR") or debian_mirror()
    work = Path(tempfile.mkdtemp(prefix="wai-rootfs-"))
    try:
        argv = [
            "debootstrap",
            "--variant=minbase",
            f"--include={BASE_PACKAGES}",
            SUITE,
            str(work / "rootfs"),
            mirror,
        ]
        logger.info("running %s", " ".join(argv))
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-3:])
            raise SetupError(f"debootstrap from {mirror} failed: {tail}")
        partial = tar_path.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(work / "rootfs"), "-cf", str(partial), "."], check=True)
        partial.replace(tar_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_base_image(client: docker.DockerClient) -> bool:
    """Import the Debian base image unless it exists. Returns whether it was made now.

    Raises:
        SetupError: debootstrap or the import failed.
    """
    if _image_exists(client, BASE_IMAGE):
        return False
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    tar_path = cache / f"base-{SUITE}.tar"
    if not tar_path.is_file():
        _make_rootfs_tar(tar_path)
    repository, tag = BASE_IMAGE.split(":")
    logger.info("importing %s from %s", BASE_IMAGE, tar_path)
    try:
        client.api.import_image_from_file(
            str(tar_path), repository=repository, tag=tag, changes=['CMD ["/bin/bash"]']
        )
    except docker.errors.APIError as exc:
        raise SetupError(f"importing {BASE_IMAGE} failed: {exc}") from None
    if not _image_exists(client, BASE_IMAGE):
        raise SetupError(f"importing {BASE_IMAGE} from {tar_path} produced no image")
    return True


def source_hash(folder: Path) -> str:
    """A hash of every file under ``folder`` (names and contents), caches excluded."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_standin_image(client: docker.DockerClient) -> bool:
    """Build the stand-in site image unless an image of the same source exists.

    Returns:
        Whether it was built now.

    Raises:
        SetupError: the build failed.
    """
    folder = standins_dir()
    wanted = source_hash(folder)
    existing = _image_exists(client, STANDIN_IMAGE)
    if existing and (existing.labels or {}).get(SOURCE_HASH_LABEL) == wanted:
        return False
    logger.info("building %s from %s", STANDIN_IMAGE, folder)
    try:
        client.images.build(
            path=str(folder),
            tag=STANDIN_IMAGE,
            labels={SOURCE_HASH_LABEL: wanted},
            rm=True,
            forcerm=True,
        )
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise SetupError(f"building {STANDIN_IMAGE} failed: {exc}") from None
    return True
