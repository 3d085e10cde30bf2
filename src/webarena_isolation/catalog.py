"""Site catalogs: what image each WebArena site kind runs and how to bring it up.

A catalog is a TOML file with one ``[sites.<kind>]`` table per site kind. Built-in catalogs
live in ``catalogs/``; a user file may name one of them in ``extends`` and override any part of
it (tables are merged key by key, lists are replaced).
"""

from __future__ import annotations

import logging
import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from webarena_isolation.errors import CatalogError

logger = logging.getLogger(__name__)

SITE_KINDS = ("shopping", "shopping_admin", "reddit", "gitlab", "wikipedia", "map", "homepage")

TEMPLATE_FIELDS = frozenset(
    {"origin", "url", "host", "port", "container_port", "username", "password", "task_id"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadinessSpec(_Strict):
    """What counts as ready: an HTTP GET of ``path`` answering one of ``statuses``."""

    path: str = "/"
    statuses: tuple[int, ...] = (200,)
    body_contains: str | None = None
    timeout_s: float = Field(default=120.0, gt=0)
    interval_s: float = Field(default=0.5, gt=0)


class LoginStep(_Strict):
    """One browser action of a login recipe; exactly one of the action fields is set."""

    goto: str | None = None
    fill: str | None = None
    value: str | None = None
    click: str | None = None

    @field_validator("value")
    @classmethod
    def _value_needs_fill(cls, value: str | None, info: Any) -> str | None:
        if value is not None and info.data.get("fill") is None:
            raise ValueError("'value' goes with 'fill'")
        return value


class LoginSpec(_Strict):
    """How to sign in to a site in a browser and how to tell that it worked."""

    username: str
    password: str
    steps: tuple[LoginStep, ...]
    signed_in_url: str
    signed_in_text: str
    failure_texts: tuple[str, ...] = ()


class StateCheckSpec(_Strict):
    """A page where a task can add a record and read the records back (offline agent)."""

    path: str
    form: str = "form#record-form"
    field: str = "input[name=title]"
    submit: str = "button[type=submit]"
    item: str = ".record-title"


class MountSpec(_Strict):
    """A host folder (or named volume) mounted into a site's container.

    ``source`` may name environment variables as ``${VAR}``; they are expanded when the
    container is created, so one catalog serves every user's data folder.
    """

    source: str
    target: str
    read_only: bool = True

    @field_validator("target")
    @classmethod
    def _target_is_absolute(cls, target: str) -> str:
        if not target.startswith("/"):
            raise ValueError(f"mount target {target!r} must be an absolute path")
        return target


class SiteSpec(_Strict):
    """One site kind: its image, ports, readiness, reconfiguration, login and limits."""

    kind: str
    image: str
    container_port: int = Field(gt=0, lt=65536)
    command: tuple[str, ...] | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    canonical_origin: str
    url_path: str = ""
    readiness: ReadinessSpec = ReadinessSpec()
    reconfigure: tuple[str, ...] = ()
    login: LoginSpec | None = None
    state_check: StateCheckSpec | None = None
    mem_limit_mb: int = Field(default=512, gt=0)
    memory_estimate_mb: int = Field(default=128, gt=0)
    cpus: float = Field(default=1.0, gt=0)
    shm_size_mb: int | None = Field(default=None, gt=0)
    mounts: tuple[MountSpec, ...] = ()
    shared: bool = False
    external_url: str | None = None
    load_hint: str = ""

    @field_validator("canonical_origin")
    @classmethod
    def _origin_has_no_path(cls, origin: str) -> str:
        if not origin.startswith(("http://", "https://")) or origin.rstrip("/").count("/") > 2:
            raise ValueError(f"{origin!r} is not an origin like http://localhost:7770")
        return origin.rstrip("/")

    @field_validator("external_url")
    @classmethod
    def _external_is_origin(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"external_url {url!r} must start with http:// or https://")
        return url.rstrip("/") if url else url

    @field_validator("url_path")
    @classmethod
    def _path_is_rooted(cls, path: str) -> str:
        if path and not path.startswith("/"):
            raise ValueError(f"url_path {path!r} must start with '/'")
        return path.rstrip("/")

    def site_url(self, origin: str) -> str:
        """The URL WebArena uses for this site (``SHOPPING_ADMIN`` is origin + ``/admin``)."""
        return origin + self.url_path


class Catalog(_Strict):
    """A named set of site specs."""

    name: str
    description: str = ""
    sites: dict[str, SiteSpec]
    source: Literal["builtin", "file"] = "builtin"

    def site(self, kind: str) -> SiteSpec:
        """Return the spec for ``kind``.

        Raises:
            CatalogError: the catalog has no such site.
        """
        try:
            return self.sites[kind]
        except KeyError:
            raise CatalogError(
                f"catalog {self.name!r} has no site {kind!r}",
                hint=f"it has: {', '.join(sorted(self.sites))}",
            ) from None

    def images(self, kinds: list[str]) -> list[str]:
        """The distinct images the given site kinds need, in order."""
        return list(dict.fromkeys(self.site(kind).image for kind in kinds))


def render_template(template: str, values: dict[str, object]) -> str:
    """Fill ``{name}`` fields of a catalog string.

    Raises:
        CatalogError: the template names a field that isn't known.
    """
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    unknown = names - values.keys()
    if unknown:
        raise CatalogError(
            f"template {template!r} uses unknown field(s) {', '.join(sorted(unknown))}",
            hint=f"known fields: {', '.join(sorted(TEMPLATE_FIELDS))}",
        )
    return template.format(**values)


def builtin_catalog_names() -> list[str]:
    """Names of the catalogs shipped with the package."""
    folder = resources.files("webarena_isolation") / "catalogs"
    return sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".toml"))


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"catalog {origin} is not valid TOML: {exc}") from None


def _builtin_data(name: str) -> dict[str, Any]:
    entry = resources.files("webarena_isolation") / "catalogs" / f"{name}.toml"
    if not entry.is_file():
        raise CatalogError(
            f"no built-in catalog named {name!r}",
            hint=f"use one of {', '.join(builtin_catalog_names())} or a path to a .toml file",
        )
    return _read_toml(entry.read_text(encoding="utf-8"), f"{name!r}")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _build(data: dict[str, Any], *, name: str, source: Literal["builtin", "file"]) -> Catalog:
    sites = data.get("sites")
    if not isinstance(sites, dict) or not sites:
        raise CatalogError(f"catalog {name!r} has no [sites.<kind>] tables")
    specs = {}
    for kind, fields in sites.items():
        try:
            specs[kind] = SiteSpec(kind=kind, **fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors()
            )
            raise CatalogError(
                f"catalog {name!r} is invalid: site {kind!r}: {problems}",
                hint="see the demo catalog (catalogs/demo.toml) for every field",
            ) from None
        except TypeError as exc:
            raise CatalogError(f"catalog {name!r} is invalid: site {kind!r}: {exc}") from None
    try:
        return Catalog(
            name=data.get("name", name),
            description=data.get("description", ""),
            sites=specs,
            source=source,
        )
    except (ValidationError, TypeError) as exc:
        raise CatalogError(f"catalog {name!r} is invalid: {exc}") from None


def load_catalog(name_or_path: str) -> Catalog:
    """Load a built-in catalog by name, or a catalog file by path.

    Args:
        name_or_path: ``demo``, ``webarena``, ... or a path to a ``.toml`` file. A file may set
            ``extends = "<built-in name>"`` to override only parts of a built-in catalog.

    Raises:
        CatalogError: the catalog doesn't exist or is invalid.
    """
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise CatalogError(f"catalog file {path} does not exist")
        data = _read_toml(path.read_text(encoding="utf-8"), str(path))
        parent = data.pop("extends", None)
        if parent is not None:
            try:
                data = _merge(_builtin_data(str(parent)), data)
            except CatalogError as exc:
                raise CatalogError(f"{path}: extends = {parent!r}: {exc.message}",
                                   hint=exc.hint) from None
        logger.debug("loaded catalog file %s (extends %s)", path, parent)
        return _build(data, name=data.get("name", path.stem), source="file")
    return _build(_builtin_data(name_or_path), name=name_or_path, source="builtin")
