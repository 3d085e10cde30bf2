"""Distinct host names per site keep both logins where two sites share a cookie name."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import sync_playwright

from webarena_isolation.auth import save_login_state
from webarena_isolation.browser import launch_chromium
from webarena_isolation.environment import Environment
from webarena_isolation.errors import LoginError
from webarena_isolation.rewrite import rewrite_config
from webarena_isolation.tasks import load_task_pool

from .helpers import browse

HOST_NAMES = "{site}-t{task_id}.localhost"


def login(env, catalog, state):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            save_login_state(browser, state, env.addresses, catalog)
        finally:
            browser.close()


def test_shared_cookie_name_on_one_host_logs_one_site_out(client, catalog, run_id, tmp_path):
    specs = [catalog.site("shopping"), catalog.site("reddit")]
    with Environment(client, task_id=671, specs=specs, run_id=run_id) as env:
        with pytest.raises(LoginError, match="not signed in"):
            login(env, catalog, tmp_path / "shopping.reddit_state.json")


def test_host_names_keep_both_logins(client, catalog, run_id, tmp_path):
    specs = [catalog.site("shopping"), catalog.site("reddit")]
    with Environment(client, task_id=671, specs=specs, run_id=run_id,
                     url_host=HOST_NAMES) as env:
        shop, forum = env.addresses["shopping"], env.addresses["reddit"]
        assert shop.origin.startswith("http://shopping-t671.localhost:")
        assert forum.origin.startswith("http://reddit-t671.localhost:")
        state = tmp_path / "shopping.reddit_state.json"
        login(env, catalog, state)
        domains = {c["domain"] for c in json.loads(state.read_text())["cookies"]}
        assert domains == {"shopping-t671.localhost", "reddit-t671.localhost"}
        pages = browse([shop.url + "/account", forum.url + "/account"], str(state))
        assert all("Signed in as" in html for _, html in pages)
        # The same host form is used in the rewritten config.
        config = rewrite_config(load_task_pool()[671], env.addresses, auth_dir=env.auth_dir)
        assert config["start_url"].startswith(shop.origin)
        assert config["eval"]["reference_url"].startswith(forum.origin)
