"""What a mode contributes beyond its static facts: pages, navigation and seed data."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from standin.modes import Mode
from standin.router import Route


def _no_seed(conn: sqlite3.Connection) -> None:
    """Seed nothing."""


@dataclass(frozen=True)
class Site:
    """A mode with its own routes, nav entries (label, path) and initial records."""

    mode: Mode
    routes: tuple[Route, ...]
    nav: tuple[tuple[str, str], ...] = ()
    seed: Callable[[sqlite3.Connection], None] = _no_seed
    login_aliases: tuple[str, ...] = ()  # extra paths answering like the login form
