"""Login with a per-session form key; sessions live only in one instance's database."""

from __future__ import annotations

import pytest

LOGIN_MODES = ("shopping", "shopping_admin", "reddit", "gitlab")
COOKIE = {
    "shopping": ("PHPSESSID", "/"),
    "shopping_admin": ("admin", "/admin"),
    "reddit": ("PHPSESSID", "/"),
    "gitlab": ("_gitlab_session", "/"),
}
USERS = {
    "shopping": "emma.lopez@gmail.com",
    "shopping_admin": "admin",
    "reddit": "MarvelsGrantMan136",
    "gitlab": "byteblaze",
}


@pytest.mark.parametrize("mode", LOGIN_MODES)
def test_login_form_contract(make_standin, mode, app_prefix):
    client = make_standin(mode).client()
    reply = client.get(f"{app_prefix.get(mode, '')}/login")
    assert reply.status == 200
    doc = reply.doc
    form = doc.one("form", id="login-form")
    assert form.attrs["method"] == "post"
    for name in ("username", "password"):
        field = doc.one("input", name=name)
        assert doc.one("label", **{"for": field.attrs["id"]})
    assert doc.one("input", name="form_key", type="hidden").attrs["value"]
    assert doc.one("button", type="submit").text.strip() == "Sign in"
    name, path = COOKIE[mode]
    cookie = client.cookie(name)
    assert cookie is not None and cookie.path == path and not cookie.domain_specified
    assert cookie.has_nonstandard_attr("HttpOnly")


@pytest.mark.parametrize("mode", LOGIN_MODES)
def test_form_key_then_credentials_then_session(make_standin, mode, app_prefix):
    site = make_standin(mode)
    client = site.client()
    prefix = app_prefix.get(mode, "")
    form_key = client.get(f"{prefix}/login").doc.form_key("login-form")
    username = USERS[mode]

    for key in ({}, {"form_key": "not-the-key"}):
        refused = client.post(f"{prefix}/login", {"username": username, "password": "x", **key})
        assert refused.status == 400 and "Invalid Form Key" in refused.text

    wrong = client.post(
        f"{prefix}/login", {"username": username, "password": "wrong", "form_key": form_key}
    )
    assert wrong.status == 200 and "Invalid login" in wrong.text

    anonymous_id = client.cookie(COOKIE[mode][0]).value
    right = client.login(mode)
    assert right.status == 302
    assert right.location == f"{site.initial_base}{prefix}/"
    assert client.cookie(COOKIE[mode][0]).value != anonymous_id, "session id rotated"
    account = client.get(f"{prefix}/account")
    assert account.status == 200
    assert f"Signed in as {username}" in account.doc.one(id="signed-in-as").text

    assert client.get(f"{prefix}/logout").status == 302
    assert client.get(f"{prefix}/account").location == f"{site.initial_base}{prefix}/login"


def test_gitlab_sign_in_path_works_like_login(make_standin):
    site = make_standin("gitlab")
    client = site.client()
    form_key = client.get("/users/sign_in").doc.form_key("login-form")
    reply = client.post(
        "/users/sign_in", {"username": "byteblaze", "password": "hello1234", "form_key": form_key}
    )
    assert reply.location == f"{site.initial_base}/"
    assert client.get("/account").status == 200


@pytest.mark.parametrize("mode", ("shopping", "reddit"))
def test_a_cookie_from_another_instance_is_unknown(make_standin, mode, app_prefix):
    first = make_standin(mode, name="one")
    second = make_standin(mode, name="two")
    prefix = app_prefix.get(mode, "")
    client = first.client()
    assert client.login(mode).status == 302
    assert client.get(f"{prefix}/account").status == 200

    # Cookies ignore ports: the same jar now presents the first instance's session.
    client.port = second.port
    assert client.get(f"{prefix}/account").location.endswith(f"{prefix}/login")


def test_form_key_minted_elsewhere_is_invalid(make_standin):
    first = make_standin("shopping", name="one")
    second = make_standin("shopping", name="two")
    client = first.client()
    form_key = client.get("/login").doc.form_key("login-form")
    client.port = second.port
    reply = client.post(
        "/login",
        {"username": "emma.lopez@gmail.com", "password": "Password.123", "form_key": form_key},
    )
    assert reply.status == 400 and "Invalid Form Key" in reply.text


def test_shop_and_forum_share_the_cookie_name_but_not_sessions(make_standin):
    shop = make_standin("shopping")
    forum = make_standin("reddit")
    client = shop.client()
    client.login("shopping")
    client.port = forum.port
    assert client.get("/account").status == 302
