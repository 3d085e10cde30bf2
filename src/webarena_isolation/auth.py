"""Per-task login: sign in to the task's own sites and save Playwright storage_state files."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from webarena_isolation.browser import launch_chromium
from webarena_isolation.catalog import Catalog, LoginSpec, render_template
from webarena_isolation.errors import LoginError
from webarena_isolation.rewrite import SiteAddress

logger = logging.getLogger(__name__)

PAGE_TIMEOUT_MS = 30_000


def sites_in_state_file(path: str | Path) -> list[str]:
    """The site kinds a WebArena state file covers: ``gitlab.reddit_state.json`` → both."""
    stem = Path(path).name.removesuffix(".json")
    return stem.rsplit("_", 1)[0].split(".")


def _values(spec: LoginSpec, address: SiteAddress) -> dict[str, object]:
    return {
        "url": address.url,
        "origin": address.origin,
        "username": spec.username,
        "password": spec.password,
    }


def _sign_in(context: BrowserContext, kind: str, spec: LoginSpec, address: SiteAddress) -> None:
    values = _values(spec, address)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        for step in spec.steps:
            if step.goto is not None:
                page.goto(render_template(step.goto, values))
            elif step.fill is not None:
                page.fill(step.fill, render_template(step.value or "", values))
            elif step.click is not None:
                page.click(step.click)
                page.wait_for_load_state()
        text = page.content()
    except PlaywrightError as exc:
        raise LoginError(
            f"login to {kind} at {address.url} failed: {str(exc).splitlines()[0]}", site=kind
        ) from None
    finally:
        page.close()
    for failure in spec.failure_texts:
        if failure in text:
            raise LoginError(
                f"login to {kind} at {address.url} ended on a page saying {failure!r}",
                site=kind,
                hint="check the catalog's login recipe and the account",
            )


def _is_signed_in(
    browser: Browser,
    state: dict[str, Any],
    kind: str,
    spec: LoginSpec,
    address: SiteAddress,
    options: dict[str, Any],
) -> bool:
    url = render_template(spec.signed_in_url, _values(spec, address))
    context = browser.new_context(storage_state=state, **options)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(url)
        return spec.signed_in_text in page.content()
    except PlaywrightError as exc:
        logger.debug("signed-in check of %s failed: %s", kind, exc)
        return False
    finally:
        context.close()


def _write_private_json(path: Path, data: dict[str, Any]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.chmod(path, 0o600)


def save_login_state(
    browser: Browser,
    state_file: Path,
    addresses: Mapping[str, SiteAddress],
    catalog: Catalog,
    *,
    context_options: dict[str, Any] | None = None,
) -> Path:
    """Sign in to every site a state file names, check it in a fresh context, save it (0600).

    Args:
        browser: a running Chromium.
        state_file: where WebArena's config expects the state (its name lists the sites).
        addresses: the task's own sites.
        catalog: where the login recipes come from.
        context_options: keyword arguments for every browser context (routing, if any).

    Raises:
        LoginError: a site has no recipe, the login failed, or the saved state is not signed in.
    """
    kinds = sites_in_state_file(state_file)
    specs: dict[str, LoginSpec] = {}
    for kind in kinds:
        spec = catalog.site(kind).login
        if spec is None or kind not in addresses:
            raise LoginError(
                f"{state_file.name} needs a login to {kind}, which has "
                + ("no login recipe in the catalog" if spec is None else "no site here"),
                site=kind,
            )
        specs[kind] = spec

    options = context_options or {}
    context = browser.new_context(**options)
    try:
        for kind, spec in specs.items():
            _sign_in(context, kind, spec, addresses[kind])
        state = dict(context.storage_state())
    finally:
        context.close()

    for kind, spec in specs.items():
        if not _is_signed_in(browser, state, kind, spec, addresses[kind], options):
            raise LoginError(
                f"the saved login state for {kind} at {addresses[kind].url} is not signed in",
                site=kind,
                hint="the site may reject the cookie; check the catalog's signed_in_url",
            )
    _write_private_json(state_file, state)
    logger.info("saved login state %s for %s", state_file.name, ", ".join(kinds))
    return state_file


def merge_saved_states(auth_dir: Path, state_file: Path) -> bool:
    """Build ``state_file`` from per-site states saved ahead (a pool member's), if all exist.

    Returns:
        Whether the file was written; if not, the caller signs in as usual.
    """
    parts = [auth_dir / f"{kind}_state.json" for kind in sites_in_state_file(state_file)]
    if not all(part.is_file() for part in parts):
        return False
    merged: dict[str, Any] = {"cookies": [], "origins": []}
    for part in parts:
        data = json.loads(part.read_text(encoding="utf-8"))
        merged["cookies"].extend(data.get("cookies", []))
        merged["origins"].extend(data.get("origins", []))
    _write_private_json(state_file, merged)
    logger.info("made %s from login states saved ahead", state_file.name)
    return True


def sign_in_all(
    state_files: list[Path],
    addresses: Mapping[str, SiteAddress],
    catalog: Catalog,
    *,
    context_options: dict[str, Any] | None = None,
) -> None:
    """:func:`save_login_state` for each file, in one Chromium started for the purpose.

    Raises:
        LoginError: a login failed or its state is not signed in.
    """
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for state_file in state_files:
                save_login_state(
                    browser, state_file, addresses, catalog, context_options=context_options
                )
        finally:
            browser.close()
