"""User accounts with salted password hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3

_ITERATIONS = 100_000


def hash_password(password: str, salt: bytes | None = None) -> str:
    """PBKDF2-SHA256 hash in the form ``iterations$salt_hex$digest_hex``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"{_ITERATIONS}${salt.hex()}${digest.hex()}"


def create(conn: sqlite3.Connection, username: str, password: str) -> None:
    """Add an account."""
    conn.execute(
        "INSERT INTO users (username, password_hash) VALUES (?, ?)",
        (username, hash_password(password)),
    )


def verify(conn: sqlite3.Connection, username: str, password: str) -> bool:
    """True when ``username`` exists and ``password`` is its password."""
    row = conn.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        return False
    iterations, salt_hex, digest_hex = row["password_hash"].split("$")
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations)
    )
    return hmac.compare_digest(digest.hex(), digest_hex)
