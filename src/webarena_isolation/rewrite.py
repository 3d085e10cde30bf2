"""Pointing a WebArena task config at the task's own copies of its sites."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from webarena_isolation.errors import ConfigRewriteError
from webarena_isolation.tasks import TaskConfig

# The placeholders WebArena's task files use, one per site kind.
PLACEHOLDERS: dict[str, str] = {
    "shopping": "__SHOPPING__",
    "shopping_admin": "__SHOPPING_ADMIN__",
    "reddit": "__REDDIT__",
    "gitlab": "__GITLAB__",
    "wikipedia": "__WIKIPEDIA__",
    "map": "__MAP__",
    "homepage": "__HOMEPAGE__",
}

_ANY_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


@dataclass(frozen=True)
class SiteAddress:
    """Where one site of one task lives.

    Attributes:
        kind: site kind (``shopping_admin``).
        origin: scheme, host and port, no trailing slash (``http://127.0.0.1:49213``).
        url: what WebArena calls the site's URL: origin plus the kind's path (``.../admin``).
        canonical_origin: the origin WebArena's own files use (``http://localhost:7780``).
    """

    kind: str
    origin: str
    url: str
    canonical_origin: str


def _walk_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _walk_strings(item, change) for key, item in value.items()}
    return value


def _strings(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}" if where else str(key))


def _substitute(addresses: Mapping[str, SiteAddress]) -> Callable[[str], str]:
    # Canonical origins are matched only when no digit follows, so that
    # http://localhost:777 never eats the front of http://localhost:7770.
    origin_patterns = [
        (re.compile(re.escape(a.canonical_origin) + r"(?![0-9])"), a.origin)
        for a in addresses.values()
    ]
    placeholders = [(PLACEHOLDERS[kind], a.url) for kind, a in addresses.items()]

    def change(text: str) -> str:
        for placeholder, url in placeholders:
            text = text.replace(placeholder, url)
        for pattern, origin in origin_patterns:
            text = pattern.sub(origin, text)
        return text

    return change


def _check_start_url(config: TaskConfig, task_id: int | None) -> None:
    start_url = config.get("start_url")
    if not isinstance(start_url, str) or not start_url:
        raise ConfigRewriteError(f"task {task_id} has no start_url", task_id=task_id)
    for url in start_url.split(" |AND| "):
        parts = urlsplit(url.strip())
        if not parts.hostname or parts.port is None:
            raise ConfigRewriteError(
                f"task {task_id} start_url {url!r} has no host:port after rewriting",
                task_id=task_id,
            )


def rewrite_config(
    config: TaskConfig, addresses: Mapping[str, SiteAddress], *, auth_dir: Path
) -> TaskConfig:
    """Return a copy of ``config`` that points at the task's own sites.

    Every placeholder (``__SHOPPING__``) and every canonical origin (``http://localhost:7770``)
    is replaced wherever it occurs, ``storage_state`` is moved into ``auth_dir``.

    Args:
        config: an original WebArena task config.
        addresses: the task's sites, keyed by kind.
        auth_dir: the task's private directory for login state.

    Raises:
        ConfigRewriteError: a site the task needs is not provisioned, or a field would be left
            holding a placeholder or a URL without host and port.
    """
    task_id = config.get("task_id")
    needed = [kind for kind in config.get("sites", []) if kind not in addresses]
    if needed:
        raise ConfigRewriteError(
            f"task {task_id} needs site(s) {', '.join(needed)} that are not provisioned",
            task_id=task_id,
            hint="add them to the catalog or choose tasks whose sites it has",
        )

    rewritten = _walk_strings(copy.deepcopy(config), _substitute(addresses))
    state = rewritten.get("storage_state")
    if isinstance(state, str) and state:
        rewritten["storage_state"] = str(auth_dir / Path(state).name)

    for where, text in _strings(rewritten):
        leftover = _ANY_PLACEHOLDER.search(text)
        if leftover:
            raise ConfigRewriteError(
                f"task {task_id} field {where} still holds {leftover.group(0)}",
                task_id=task_id,
                hint="that site is used by the task but not listed in its 'sites'",
            )
    _check_start_url(rewritten, task_id)
    return rewritten


def site_environment_variables(addresses: Mapping[str, SiteAddress]) -> dict[str, str]:
    """The variables agents read site URLs from: WebArena's names and BrowserGym's ``WA_*``."""
    variables: dict[str, str] = {}
    for kind, address in addresses.items():
        name = kind.upper()
        variables[name] = address.url
        variables[f"WA_{name}"] = address.url
    return variables
