"""The one record list per stateful mode: uniform markup, add form, review approval."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

RECORD_PAGES = {
    "shopping": "/wishlist/",
    "shopping_admin": "/admin/reviews",
    "reddit": "/forums/all",
    "gitlab": "/byteblaze/project/-/issues",
}


@pytest.mark.parametrize("mode", RECORD_PAGES)
def test_add_a_record_through_the_form(make_standin, mode):
    site = make_standin(mode)
    client = site.client()
    client.login(mode)
    path = RECORD_PAGES[mode]
    doc = client.get(path).doc
    seeded = doc.texts("record-title")
    assert seeded, "every record page starts with seed data"
    form = doc.one("form", id="record-form")
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == site.initial_base + path
    assert doc.one("input", name="title", within=form)
    assert doc.one("button", type="submit", within=form).text.startswith("Add")

    form_key = doc.form_key("record-form")
    added = client.post(form.attrs["action"], {"title": "Isolation check 42", "form_key": form_key})
    assert added.status == 302 and added.location == site.initial_base + path
    assert client.get(path).doc.texts("record-title") == [*seeded, "Isolation check 42"]


@pytest.mark.parametrize("mode", RECORD_PAGES)
def test_adding_needs_login_and_form_key(make_standin, mode, app_prefix):
    site = make_standin(mode)
    path = RECORD_PAGES[mode]
    anonymous = site.client()
    refused = anonymous.post(path, {"title": "spam", "form_key": "x"})
    assert refused.status == 302
    assert refused.location == f"{site.initial_base}{app_prefix.get(mode, '')}/login"
    member = site.client()
    member.login(mode)
    before = member.get(path).doc.texts("record-title")
    bad = member.post(path, {"title": "spam", "form_key": "wrong"})
    assert bad.status == 400 and "Invalid Form Key" in bad.text
    assert member.get(path).doc.texts("record-title") == before


def test_forum_is_readable_anonymously_without_a_form(make_standin):
    reply = make_standin("reddit").client().get("/forums/all")
    assert reply.status == 200
    assert reply.doc.texts("record-title")
    assert not reply.doc.find("form", id="record-form")


def test_records_persist_across_restart_but_not_across_instances(make_standin):
    first = make_standin("gitlab", name="one")
    client = first.client()
    client.login("gitlab")
    doc = client.get(RECORD_PAGES["gitlab"]).doc
    key = doc.form_key("record-form")
    client.post(RECORD_PAGES["gitlab"], {"title": "Only here", "form_key": key})
    second = make_standin("gitlab", name="two")
    other = second.client()
    other.login("gitlab")
    assert "Only here" not in other.get(RECORD_PAGES["gitlab"]).doc.texts("record-title")
    first.stop()
    first.start()
    again = first.client()
    again.login("gitlab")
    assert "Only here" in again.get(RECORD_PAGES["gitlab"]).doc.texts("record-title")


def review_counts(client) -> dict[str, int]:
    doc = client.get("/admin/reviews").doc
    counts = doc.one(id="review-counts")
    return {
        li.attrs["data-status"]: int(doc.one(cls="count", within=li).text)
        for li in doc.find("li", within=counts)
    }


def test_review_counts_follow_add_and_approve(make_standin):
    site = make_standin("shopping_admin")
    client = site.client()
    client.login("shopping_admin")
    start = review_counts(client)
    assert set(start) == {"Approved", "Pending", "Not Approved"} and all(start.values())

    doc = client.get("/admin/reviews").doc
    form = doc.one("form", id="record-form")
    key = doc.form_key("record-form")
    client.post(form.attrs["action"], {"title": "Brand new review", "form_key": key})
    assert review_counts(client)["Pending"] == start["Pending"] + 1

    doc = client.get("/admin/reviews").doc
    new = next(li for li in doc.find("li", cls="record") if "Brand new review" in li.text)
    assert new.attrs["data-status"] == "Pending"
    approved = client.post(f"/admin/reviews/{new.attrs['data-id']}/approve", {"form_key": key})
    assert approved.status == 302 and approved.location == "http://localhost:7780/admin/reviews"
    after = review_counts(client)
    assert after["Approved"] == start["Approved"] + 1 and after["Pending"] == start["Pending"]
    assert client.post("/admin/reviews/9999/approve", {"form_key": key}).status == 404
    assert client.post("/admin/reviews/1/approve", {"form_key": "bad"}).status == 400


def test_wishlist_is_per_customer(make_standin):
    site = make_standin("shopping")
    site.cli("sql", "INSERT INTO records (title, owner, created_at) VALUES ('Theirs', 'x', 0)")
    client = site.client()
    client.login("shopping")
    titles = client.get("/wishlist/").doc.texts("record-title")
    assert titles and "Theirs" not in titles


def test_concurrent_adds_all_land(make_standin):
    site = make_standin("reddit")
    client = site.client()
    client.login("reddit")
    key = client.get("/forums/all").doc.form_key("record-form")

    def add(number: int) -> int:
        return client.post("/forums/all", {"title": f"parallel {number}", "form_key": key}).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(add, range(40)))
    assert statuses == [302] * 40
    titles = client.get("/forums/all").doc.texts("record-title")
    assert {f"parallel {n}" for n in range(40)} <= set(titles)
