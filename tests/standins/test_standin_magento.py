"""Magento quirks: two base URL slots, a full page cache, and the admin under /admin."""

from __future__ import annotations

OLD = "http://localhost:7770"


def secure_sql(url: str) -> str:
    return f"UPDATE core_config_data SET value='{url}/' WHERE path='web/secure/base_url'"


def test_official_recipe_steps_each_move_only_their_part(make_standin):
    site = make_standin("shopping")
    new = f"http://127.0.0.1:{site.port}"
    client = site.client()
    first = client.get("/")
    assert first.headers["X-Standin-Cache"] == "MISS"
    assert f'href="{OLD}/product/' in first.text

    site.cli("setup:store-config:set", f"--base-url={new}")
    assert site.cli("get-base-url").stdout.strip() == new
    assert site.cli("get-base-url", "--secure").stdout.strip() == OLD
    stale = client.get("/")
    assert stale.headers["X-Standin-Cache"] == "HIT"
    assert f'href="{OLD}/product/' in stale.text, "cached page keeps the old links"
    assert client.get("/wishlist/").location == f"{OLD}/login", "secure slot not moved yet"
    assert f'action="{OLD}/login"' in client.get("/login").text

    assert "full_page" in site.cli("cache:flush").stdout
    fresh = client.get("/")
    assert fresh.headers["X-Standin-Cache"] == "MISS"
    assert f'href="{new}/product/' in fresh.text and OLD not in fresh.text
    assert client.get("/wishlist/").location == f"{OLD}/login"

    site.cli("sql", secure_sql(new))
    assert client.get("/wishlist/").location == f"{new}/login"
    login = client.get("/login")
    assert f'action="{new}/login"' in login.text and OLD not in login.text


def test_signed_in_pages_bypass_the_cache(make_standin):
    site = make_standin("shopping")
    client = site.client()
    client.get("/")
    assert client.login("shopping").location == f"{OLD}/"
    page = client.get("/")
    assert "X-Standin-Cache" not in page.headers
    assert "Sign out" in page.text


def test_set_base_url_moves_both_slots_and_flushes(make_standin):
    site = make_standin("shopping")
    new = f"http://127.0.0.1:{site.port}"
    client = site.client()
    client.get("/")
    site.cli("set-base-url", new)
    assert site.cli("get-base-url", "--secure").stdout.strip() == new
    page = client.get("/")
    assert page.headers["X-Standin-Cache"] == "MISS" and OLD not in page.text
    rows = site.cli("sql", "SELECT path, value FROM core_config_data WHERE path LIKE 'web/%'")
    assert sorted(rows.stdout.split("\n")[:2]) == [
        f"web/secure/base_url\t{new}/",
        f"web/unsecure/base_url\t{new}/",
    ]


def test_admin_login_form_posts_to_the_secure_slot(make_standin):
    site = make_standin("shopping_admin")
    new = f"http://127.0.0.1:{site.port}"
    client = site.client()
    site.cli("setup:store-config:set", f"--base-url={new}")
    form = client.get("/admin/login").doc.one("form", id="login-form")
    assert form.attrs["action"] == "http://localhost:7780/admin/login"
    assert client.get("/admin/").location == "http://localhost:7780/admin/login"
    assert client.login("shopping_admin").location == "http://localhost:7780/admin/"
    nav = client.get("/admin/reviews").doc.one("nav").text
    assert "Reviews" in nav
    site.cli("sql", secure_sql(new))
    assert client.get("/admin/login").doc.one("form", id="login-form").attrs["action"] == (
        f"{new}/admin/login"
    )


def test_config_set_and_magento_only_commands(make_standin):
    site = make_standin("shopping_admin", start=False)
    site.cli("init", "--mode", "shopping_admin")
    site.cli("config:set", "admin/security/password_is_forced", "0")
    got = site.cli(
        "sql", "SELECT value FROM core_config_data WHERE path='admin/security/password_is_forced'"
    )
    assert got.stdout.strip() == "0"
    assert site.cli("sql", "SELECT nonsense FROM nowhere", check=False).returncode != 0
    reddit = make_standin("reddit", start=False)
    reddit.cli("init", "--mode", "reddit")
    for command in (
        ["cache:flush"],
        ["config:set", "a/b", "c"],
        ["setup:store-config:set", "--base-url=http://x"],
    ):
        result = reddit.cli(*command, check=False)
        assert result.returncode != 0 and "Magento" in result.stderr
