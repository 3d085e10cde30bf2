"""Everything a page handler needs about the current request."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from standin import links
from standin.baseurl import BaseUrls
from standin.modes import Mode
from standin.sessions import Session
from standin.web import Request


@dataclass
class Context:
    """The request, its session, the mode's DB connection and stored base URLs."""

    conn: sqlite3.Connection
    mode: Mode
    request: Request
    session: Session | None
    bases: BaseUrls
    nav: tuple[tuple[str, str], ...] = ()

    @property
    def user(self) -> str | None:
        """The signed-in username, or None for an anonymous visitor."""
        return self.session.username if self.session else None

    def url(self, path: str) -> str:
        """Href for navigation, assets and forms: unsecure base, or relative like kiwix."""
        if self.mode.relative_links:
            return links.relative(self.request.path, path)
        return links.absolute(self.bases.unsecure, path)

    def secure_url(self, path: str) -> str:
        """Absolute URL under the secure base (login form, post-login and login redirects)."""
        return links.absolute(self.bases.secure, path)
