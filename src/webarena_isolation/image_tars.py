"""Image tars: which of a catalog's images are loaded, and loading the tars that hold them.

A catalog site's ``load_hint`` names its tar (``docker load --input shopping_final_0712.tar``);
that is how a tar found in a folder is matched to the image tag it must provide. Loading goes
through the engine's API (``client.images.load``), streaming the file, never the docker CLI.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
from docker.models.images import Image

from webarena_isolation.catalog import Catalog
from webarena_isolation.errors import EngineError, SetupError

logger = logging.getLogger(__name__)

TAR_SUFFIXES = (".tar.gz", ".tar.xz", ".tar.bz2", ".tgz", ".tar")
CHUNK_BYTES = 1 << 20
DISK_FACTOR = 2

_HINT = re.compile(r"docker load (?:--input|-i) (\S+)")


@dataclass(frozen=True)
class ImageRow:
    """One image of a catalog: the sites using it, whether it is loaded, its size."""

    image: str
    kinds: tuple[str, ...]
    loaded: bool
    size_bytes: int | None
    load_hint: str


@dataclass(frozen=True)
class TarPlan:
    """A tar found in a folder and what to do with it.

    ``action`` is ``load``, ``loaded`` (every expected image is already there) or ``unknown``
    (no catalog site names this tar).
    """

    path: Path
    images: tuple[str, ...]
    size_bytes: int
    action: str


def tar_stem(name: str) -> str:
    """A tar's name without its archive suffix: ``gitlab.tar.gz`` → ``gitlab``."""
    for suffix in TAR_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def full_tag(image: str) -> str:
    """``name`` → ``name:latest``, the way the engine lists a tag given without one."""
    return image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"


def hinted_tar(load_hint: str) -> str | None:
    """The tar file a ``docker load --input X`` hint names (its base name), if any."""
    match = _HINT.search(load_hint)
    return Path(match.group(1)).name if match else None


def expected_images(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Per tar stem, the images that tar must provide, from the sites' load hints."""
    found: dict[str, list[str]] = {}
    for spec in catalog.sites.values():
        tar = hinted_tar(spec.load_hint)
        if tar is None:
            continue
        images = found.setdefault(tar_stem(tar), [])
        if spec.image not in images:
            images.append(spec.image)
    return {stem: tuple(images) for stem, images in found.items()}


def _local_image(client: docker.DockerClient, name: str) -> Image | None:
    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as exc:
        raise EngineError(f"could not look up image {name}: {exc}") from None


def catalog_images(client: docker.DockerClient, catalog: Catalog) -> list[ImageRow]:
    """Every distinct image the catalog names, whether it is loaded and how big it is."""
    kinds: dict[str, list[str]] = {}
    for kind, spec in catalog.sites.items():
        kinds.setdefault(spec.image, []).append(kind)
    rows = []
    for image, users in kinds.items():
        found = _local_image(client, image)
        rows.append(
            ImageRow(
                image=image,
                kinds=tuple(users),
                loaded=found is not None,
                size_bytes=int(found.attrs.get("Size", 0)) if found is not None else None,
                load_hint=catalog.site(users[0]).load_hint,
            )
        )
    return rows


def find_tars(directory: Path) -> list[Path]:
    """The image tars directly inside ``directory``, sorted by name.

    Raises:
        SetupError: the folder doesn't exist.
    """
    if not directory.is_dir():
        raise SetupError(f"{directory} is not a folder", hint="pass the folder holding the tars")
    return sorted(
        path for path in directory.iterdir() if path.is_file() and path.name.endswith(TAR_SUFFIXES)
    )


def plan_loads(
    client: docker.DockerClient, directory: Path, catalog: Catalog, *, force: bool = False
) -> list[TarPlan]:
    """Match each tar in ``directory`` to the images the catalog expects from it.

    Args:
        force: load a tar even when its images are already there.

    Raises:
        SetupError: the folder doesn't exist.
    """
    expected = expected_images(catalog)
    plans = []
    for path in find_tars(directory):
        images = expected.get(tar_stem(path.name), ())
        if not images:
            action = "unknown"
        elif not force and all(_local_image(client, image) for image in images):
            action = "loaded"
        else:
            action = "load"
        plans.append(TarPlan(path, images, path.stat().st_size, action))
    return plans


def docker_data_dir(client: docker.DockerClient) -> Path | None:
    """The engine's data root when it is on this machine (``/var/lib/docker``), else None."""
    try:
        root = client.info().get("DockerRootDir")
    except docker.errors.APIError as exc:
        raise EngineError(f"could not ask the engine for its data folder: {exc}") from None
    return Path(root) if root and Path(root).is_dir() else None


def free_bytes(path: Path) -> int:
    """Free bytes on the filesystem holding ``path``."""
    return shutil.disk_usage(path).free


def check_disk(tar: Path, size_bytes: int, data_dir: Path | None) -> None:
    """Refuse a load that would leave the engine's disk full.

    A loaded image takes about as much as its tar and the engine needs room to unpack, hence
    twice the tar's size (more for compressed tars, which this can't see).

    Raises:
        SetupError: less than ``DISK_FACTOR`` times the tar's size is free.
    """
    if data_dir is None:
        logger.warning("engine data folder not on this machine; not checking disk for %s", tar)
        return
    free = free_bytes(data_dir)
    needed = DISK_FACTOR * size_bytes
    if free < needed:
        raise SetupError(
            f"not loading {tar.name}: {_gib(free)} free under {data_dir}, it needs "
            f"{_gib(needed)} ({DISK_FACTOR}x the tar's {_gib(size_bytes)})",
            hint="free disk space or move the engine's data-root to a bigger disk",
        )


def _gib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB"


def _chunks(path: Path, on_progress: Callable[[int], None] | None) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                return
            if on_progress is not None:
                on_progress(len(chunk))
            yield chunk


def load_tar(
    client: docker.DockerClient,
    tar: Path,
    expected: tuple[str, ...],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Stream ``tar`` into the engine and check that it provided every ``expected`` image.

    Args:
        tar: an image tar as ``docker save`` writes it (plain or compressed).
        expected: the tags the catalog needs from it.
        on_progress: called with the byte count of each chunk sent.

    Returns:
        The tags the engine reported loading.

    Raises:
        SetupError: not enough disk for it.
        EngineError: the engine refused the tar, or it lacked an expected tag.
    """
    size = tar.stat().st_size
    check_disk(tar, size, docker_data_dir(client))
    logger.info("loading %s (%s)", tar, _gib(size))
    try:
        loaded = client.images.load(_chunks(tar, on_progress))
    except (docker.errors.ImageLoadError, docker.errors.APIError) as exc:
        raise EngineError(
            f"the engine could not load {tar.name}: {str(exc).splitlines()[0]}",
            hint="check that the file is a complete `docker save` tar (download it again?)",
        ) from None
    tags = [tag for image in loaded for tag in image.tags]
    missing = [image for image in expected if full_tag(image) not in tags]
    if missing:
        found = ", ".join(tags) or "no tagged image"
        raise EngineError(
            f"{tar.name} did not provide {', '.join(missing)} (it held: {found})",
            hint=f"tag the right image with `docker tag <id> {missing[0]}`, or fix the "
            "site's image in the catalog",
        )
    logger.info("loaded %s: %s", tar.name, ", ".join(tags))
    return tags
