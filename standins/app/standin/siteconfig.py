"""The keys `set-config` accepts per mode, and GitLab's listening rule."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from standin import baseurl, db
from standin.modes import MODES, Mode
from standin.urls import BadUrlError, check_link, normalize_base, port_of

LISTEN_PORT_KEY = "listen_port"


class BadSettingError(ValueError):
    """Raised for a key the mode does not have or a value it cannot take."""


def validate(mode: Mode, key: str, value: str) -> str | None:
    """The value to store for ``key``, or None to remove the row (empty listen_port)."""
    validate_key(mode, key)
    try:
        if key == baseurl.EXTERNAL_URL_KEY:
            return normalize_base(value)
        if key == LISTEN_PORT_KEY:
            return _port(value)
        return check_link(value)
    except BadUrlError as exc:
        raise BadSettingError(str(exc)) from None


def validate_key(mode: Mode, key: str) -> None:
    """Raise BadSettingError unless ``mode`` has the setting ``key``."""
    if key not in mode.config_keys:
        allowed = ", ".join(mode.config_keys) or "none"
        raise BadSettingError(f"mode {mode.name} has no setting {key!r} (settable: {allowed})")


def _port(value: str) -> str | None:
    if value == "":
        return None
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise BadSettingError(f"listen_port must be a TCP port number, got {value!r}")
    return str(int(value))


@dataclass(frozen=True)
class GitlabConfig:
    """What omnibus GitLab applies at reconfigure: the URL and the port nginx listens on."""

    external_url: str
    listen_port: int | None = None

    @property
    def port(self) -> int:
        """listen_port when set, else the port named in external_url."""
        return self.listen_port or port_of(self.external_url)


def load_gitlab(conn: sqlite3.Connection) -> GitlabConfig:
    """Read the stored (not necessarily applied) GitLab settings."""
    listen = db.get_config(conn, LISTEN_PORT_KEY)
    return GitlabConfig(
        external_url=baseurl.read(conn, MODES["gitlab"]).unsecure,
        listen_port=int(listen) if listen else None,
    )
