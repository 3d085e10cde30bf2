"""Runtime settings of `serve`, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "/var/lib/standin"


@dataclass(frozen=True)
class Settings:
    """Where the databases live and how the server listens and boots."""

    data_dir: Path
    port: int = 80
    bind: str = "0.0.0.0"
    boot_seconds: float = 3.0


def data_dir_from_env(environ: Mapping[str, str] = os.environ) -> Path:
    """The data directory: $STANDIN_DATA_DIR or the image default."""
    return Path(environ.get("STANDIN_DATA_DIR") or DEFAULT_DATA_DIR)


def from_env(environ: Mapping[str, str] = os.environ) -> Settings:
    """Build Settings from STANDIN_* variables; raise ValueError on malformed values."""
    port = _number(environ, "STANDIN_PORT", "80", int)
    if not 0 <= port <= 65535:
        raise ValueError(f"STANDIN_PORT out of range: {port}")
    boot = _number(environ, "STANDIN_BOOT_S", "3", float)
    if boot < 0:
        raise ValueError(f"STANDIN_BOOT_S must not be negative: {boot}")
    return Settings(
        data_dir=data_dir_from_env(environ),
        port=port,
        bind=environ.get("STANDIN_BIND") or "0.0.0.0",
        boot_seconds=boot,
    )


def _number(environ: Mapping[str, str], name: str, default: str, kind: type) -> int | float:
    raw = environ.get(name) or default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{name} is not a valid {kind.__name__}: {raw!r}") from None
