"""Server-side sessions: a random id in a cookie, a form key, and maybe a signed-in user.

Sessions exist only in one container's database, so a cookie minted by another container
is simply unknown here and the visitor is anonymous.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass

from standin import db
from standin.modes import Mode


@dataclass(frozen=True)
class Session:
    """One visitor's server-side state."""

    id: str
    form_key: str
    username: str | None = None

    @property
    def authenticated(self) -> bool:
        """True once the visitor has signed in."""
        return self.username is not None


def load(conn: sqlite3.Connection, mode: Mode, cookies: dict[str, str]) -> Session | None:
    """The session named by the mode's cookie, or None when absent or unknown here."""
    if mode.cookie_name is None or not (session_id := cookies.get(mode.cookie_name)):
        return None
    row = conn.execute(
        "SELECT id, form_key, username FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()
    return None if row is None else Session(row["id"], row["form_key"], row["username"])


def start(conn: sqlite3.Connection, username: str | None = None) -> Session:
    """Create a session with a fresh id and form key."""
    session = Session(secrets.token_urlsafe(24), secrets.token_urlsafe(12), username)
    conn.execute(
        "INSERT INTO sessions (id, form_key, username, created_at) VALUES (?, ?, ?, ?)",
        (session.id, session.form_key, session.username, time.time()),
    )
    return session


def sign_in(conn: sqlite3.Connection, old: Session, username: str) -> Session:
    """Replace ``old`` with a new authenticated session (new id, against fixation)."""
    with db.transaction(conn):
        end(conn, old)
        return start(conn, username)


def end(conn: sqlite3.Connection, session: Session) -> None:
    """Forget a session."""
    conn.execute("DELETE FROM sessions WHERE id = ?", (session.id,))


def form_key_matches(session: Session | None, submitted: str | None) -> bool:
    """True when ``submitted`` is this session's form key."""
    if session is None or not submitted:
        return False
    return hmac.compare_digest(session.form_key.encode(), submitted.encode())


def set_cookie(mode: Mode, session: Session) -> tuple[str, str]:
    """Set-Cookie header carrying the session id (host-only, so no Domain attribute)."""
    return ("Set-Cookie", f"{mode.cookie_name}={session.id}; Path={mode.cookie_path}; HttpOnly")


def clear_cookie(mode: Mode) -> tuple[str, str]:
    """Set-Cookie header that deletes the session cookie."""
    return (
        "Set-Cookie",
        f"{mode.cookie_name}=deleted; Path={mode.cookie_path}; Max-Age=0; HttpOnly",
    )
