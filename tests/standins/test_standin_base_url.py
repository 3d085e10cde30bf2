"""The stored base URL drives every absolute link and redirect, until reconfigured."""

from __future__ import annotations

import pytest

MOVABLE = ("shopping", "shopping_admin", "reddit", "gitlab", "homepage")


def absolute_urls(reply) -> list[str]:
    """Every href, src and form action on a page."""
    doc = reply.doc
    found = [el.attrs.get("href") or el.attrs.get("src") or "" for el in doc.find("a")]
    found += [el.attrs["href"] for el in doc.find("link")]
    found += [el.attrs["src"] for el in doc.find("img")]
    found += [el.attrs["action"] for el in doc.find("form")]
    return [url for url in found if url]


@pytest.mark.parametrize("mode", MOVABLE)
def test_links_use_stored_url_not_the_host_header(make_standin, mode, app_prefix):
    site = make_standin(mode)
    client = site.client()
    page = app_prefix.get(mode, "") + ("/login" if mode != "homepage" else "/")
    urls = absolute_urls(client.get(page))
    assert urls and all(url.startswith("http://localhost:") for url in urls)
    assert any(url.startswith(site.initial_base + "/") for url in urls)
    if mode != "gitlab":
        assert not any(f":{site.port}/" in url for url in urls)

    moved = f"http://127.0.0.1:{site.port}"
    result = site.cli("set-base-url", moved + "/")
    assert "set to" in result.stdout
    assert site.cli("get-base-url").stdout.strip() == moved
    urls = absolute_urls(client.get(page))
    assert any(url.startswith(moved + "/") for url in urls)
    assert not any(url.startswith(site.initial_base + "/") for url in urls)


@pytest.mark.parametrize("mode", ("shopping", "shopping_admin", "reddit", "gitlab"))
def test_login_redirect_location_follows_set_base_url(make_standin, mode, app_prefix):
    site = make_standin(mode)
    client = site.client()
    prefix = app_prefix.get(mode, "")
    before = client.get(f"{prefix}/account")
    assert before.status == 302
    assert before.location == f"{site.initial_base}{prefix}/login"
    moved = f"http://127.0.0.1:{site.port}"
    site.cli("set-base-url", moved)
    after = client.get(f"{prefix}/account")
    assert after.location == f"{moved}{prefix}/login"
    assert client.get(after.location).status == 200


@pytest.mark.parametrize("mode", ("wikipedia", "map"))
def test_read_only_modes_store_a_base_url_too(make_standin, mode, canonical):
    site = make_standin(mode, start=False)
    site.cli("init", "--mode", mode)
    assert site.cli("get-base-url").stdout.strip() == canonical[mode]
    site.cli("set-base-url", "http://127.0.0.1:1234")
    assert site.cli("get-base-url").stdout.strip() == "http://127.0.0.1:1234"


@pytest.mark.parametrize("bad", ("localhost:7770", "ftp://localhost", "http://", "http://h:x"))
def test_set_base_url_rejects_malformed_urls(make_standin, bad):
    site = make_standin("reddit", start=False)
    site.cli("init", "--mode", "reddit")
    result = site.cli("set-base-url", bad, check=False)
    assert result.returncode != 0
    assert "error" in result.stderr
    assert site.cli("get-base-url").stdout.strip() == "http://localhost:9999"


def test_commands_fail_cleanly_without_a_mode_or_database(make_standin):
    site = make_standin("reddit", start=False)
    no_db = site.cli("get-base-url", check=False)
    assert no_db.returncode != 0 and "init" in no_db.stderr
    site.extra_env["STANDIN_SITE"] = ""
    no_mode = site.cli("serve", check=False)
    assert no_mode.returncode != 0 and "STANDIN_SITE" in no_mode.stderr
