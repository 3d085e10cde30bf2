"""Launching Debian's Chromium through Playwright, the one way every module does it."""

from __future__ import annotations

import logging
import os
import shutil

from playwright.sync_api import Browser, Playwright

from webarena_isolation.errors import SetupError

logger = logging.getLogger(__name__)

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str:
    """The Chromium binary to drive: ``$WAI_CHROMIUM`` or Debian's ``/usr/bin/chromium``.

    Raises:
        SetupError: no Chromium is installed.
    """
    candidate = os.environ.get("WAI_CHROMIUM") or "/usr/bin/chromium"
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise SetupError(
        f"no Chromium at {candidate}",
        hint="install it with `apt-get install -y chromium` (or run `webarena-isolation setup`)",
    )


def launch_chromium(playwright: Playwright) -> Browser:
    """Start a headless Chromium for one task."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=list(CHROMIUM_FLAGS)
    )
