"""After reconfiguration every link and redirect points at the environment's own port;
login state from one environment is rejected by another."""

from __future__ import annotations

import json

from playwright.sync_api import sync_playwright

from webarena_isolation.auth import save_login_state
from webarena_isolation.browser import launch_chromium
from webarena_isolation.environment import Environment

from .helpers import absolute_urls, browse, get, netlocs

PAGES = {
    "shopping": ["/", "/login", "/wishlist/", "/account"],
    "shopping_admin": ["/login", "/reviews", "/account"],
    "reddit": ["/forums/all", "/login", "/account"],
    "gitlab": ["/users/sign_in", "/byteblaze/project/-/issues", "/account"],
    "homepage": ["/"],
}


def test_links_and_redirects_use_the_environment_port(client, catalog, run_id, tmp_path):
    kinds = list(PAGES)
    with Environment(client, task_id=1, specs=[catalog.site(k) for k in kinds],
                     run_id=run_id) as env:
        ports = {kind: site.host_port for kind, site in env.sites.items()}
        assert len(set(ports.values())) == len(kinds)
        for kind, paths in PAGES.items():
            own = f"127.0.0.1:{ports[kind]}"
            url = env.addresses[kind].url
            # Anonymous pages that need login redirect to the site's own address.
            response = get(ports[kind], catalog.site(kind).url_path + paths[-1])
            if kind != "homepage":
                assert response.status in (302, 303), (kind, response.status)
                assert response.getheader("Location").startswith(f"http://{own}/"), kind
            # Signed in: every absolute link, asset and form action is our own.
            state = tmp_path / f"{kind}_state.json"
            if catalog.site(kind).login:
                with sync_playwright() as playwright:
                    browser = launch_chromium(playwright)
                    save_login_state(browser, state, env.addresses, catalog)
                    browser.close()
            pages = browse([url + p for p in paths], str(state) if state.exists() else None)
            for final_url, html in pages:
                assert final_url.startswith(f"http://{own}/"), (kind, final_url)
                urls = absolute_urls(html)
                assert urls, f"{kind} {final_url} has no absolute links to check"
                if kind == "homepage":
                    continue  # it links to the other sites by design
                assert netlocs(urls) == {own}, (kind, final_url, netlocs(urls))


def test_login_state_from_one_environment_is_rejected_by_another(client, catalog, run_id,
                                                                 tmp_path):
    spec = catalog.site("reddit")
    with Environment(client, task_id=2, specs=[spec], run_id=run_id) as first, \
            Environment(client, task_id=3, specs=[spec], run_id=run_id) as second:
        state = tmp_path / "reddit_state.json"
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            save_login_state(browser, state, first.addresses, catalog)
            browser.close()
        assert oct(state.stat().st_mode & 0o777) == "0o600"
        cookies = json.loads(state.read_text())["cookies"]
        assert cookies and all(c["domain"] == "127.0.0.1" for c in cookies)
        (own_url, own_html), = browse([first.addresses["reddit"].url + "/account"], str(state))
        assert "Signed in as" in own_html
        (other_url, other_html), = browse([second.addresses["reddit"].url + "/account"],
                                          str(state))
        assert "Signed in as" not in other_html
        assert "/login" in other_url and f":{second.sites['reddit'].host_port}/" in other_url
