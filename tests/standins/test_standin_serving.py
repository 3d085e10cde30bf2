"""Serving basics: slow start, common page furniture, static files, 404, SIGTERM."""

from __future__ import annotations

import signal
import struct
import time
import zlib
from urllib.parse import urljoin

import pytest

ALL_MODES = ("shopping", "shopping_admin", "reddit", "gitlab", "wikipedia", "map", "homepage")
START_PAGE = {"shopping_admin": "/admin/login", "gitlab": "/users/sign_in"}


def test_answers_503_while_booting_then_200(make_standin):
    site = make_standin("reddit", boot_s=1.5, start=False).start(wait_path=None)
    site.wait_listening()
    booting = site.client().get("/")
    assert booting.status == 503
    assert booting.text == "starting"
    assert int(booting.headers["Retry-After"]) >= 1
    site.wait_ready("/")
    assert site.client().get("/").status == 200


@pytest.mark.parametrize("mode", ALL_MODES)
def test_every_page_has_the_common_furniture(make_standin, mode):
    site = make_standin(mode)
    reply = site.client().get(START_PAGE.get(mode, "/"))
    assert reply.status == 200
    doc = reply.doc
    assert mode in doc.one("title").text
    assert doc.one(id="site-kind").text == mode
    stylesheet = doc.one("link", rel="stylesheet").attrs["href"]
    logo = doc.find("img")[0].attrs["src"]  # the header logo comes first
    assert stylesheet.endswith("static/style.css") and logo.endswith("static/logo.svg")
    nav_links = [a.attrs["href"] for a in doc.find("a") if a.attrs.get("href")]
    assert nav_links
    if mode in ("wikipedia", "map"):
        assert not any("//" in href or href.startswith("/") for href in [stylesheet, *nav_links])
    else:
        assert stylesheet.startswith(site.initial_base + "/")
        assert all(href.startswith("http://localhost:") for href in nav_links)


@pytest.mark.parametrize("mode", ("shopping", "wikipedia"))
def test_serves_static_files_and_404s(make_standin, mode):
    client = make_standin(mode).client()
    css, logo = client.get("/static/style.css"), client.get("/static/logo.svg")
    assert (css.status, css.headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    assert logo.status == 200 and logo.raw.startswith(b"<svg")
    missing = client.get("/no/such/page")
    assert missing.status == 404
    assert missing.doc.one(id="site-kind").text == mode


def test_has_no_back_door_health_endpoint(make_standin):
    assert make_standin("homepage").client().get("/__standin/health").status == 404


def test_wikipedia_links_are_relative_and_resolve(make_standin):
    client = make_standin("wikipedia").client()
    landing = "/wikipedia_en_all_maxi_2022-05/A/User:The_other_Kiwix_guy/Landing"
    reply = client.get(landing)
    assert reply.status == 200
    hrefs = [a.attrs["href"] for a in reply.doc.find("a", cls="article-link")]
    assert len(hrefs) >= 2
    for href in hrefs:
        assert ":" not in href.split("/")[0] and not href.startswith("/")
        resolved = urljoin(landing, href)
        assert client.get(resolved).status == 200, resolved


def test_map_serves_a_valid_png_tile(make_standin):
    client = make_standin("map").client()
    assert client.get("/").doc.one("img", id="map-tile").attrs["src"] == "tile/0/0/0.png"
    tile = client.get("/tile/0/0/0.png")
    assert tile.status == 200 and tile.headers["Content-Type"] == "image/png"
    assert tile.raw.startswith(b"\x89PNG\r\n\x1a\n")
    length, kind = struct.unpack(">I4s", tile.raw[8:16])
    header = tile.raw[16 : 16 + length]
    assert kind == b"IHDR" and struct.unpack(">II", header[:8]) == (256, 256)
    crc = struct.unpack(">I", tile.raw[16 + length : 20 + length])[0]
    assert crc == zlib.crc32(kind + header)
    assert client.get("/tile/1/2/0.png").status == 404


def test_homepage_links_follow_set_config(make_standin, canonical):
    site = make_standin("homepage")
    links = {
        a.attrs["data-site"]: a.attrs["href"]
        for a in site.client().get("/").doc.find("a", cls="site-link")
    }
    assert links["shopping"] == canonical["shopping"]
    assert links["shopping_admin"] == canonical["shopping_admin"] + "/admin"
    site.cli("set-config", "link.reddit", "http://localhost:41234")
    links = {
        a.attrs["data-site"]: a.attrs["href"]
        for a in site.client().get("/").doc.find("a", cls="site-link")
    }
    assert links["reddit"] == "http://localhost:41234"
    assert site.cli("set-config", "link.nowhere", "http://x", check=False).returncode != 0


def test_logs_one_line_per_request(make_standin):
    site = make_standin("map")
    site.client().get("/tile/0/0/0.png")
    site.wait_until(lambda: '"GET /tile/0/0/0.png" 200' in site.log(), "the access log line")


def test_sigterm_exits_promptly_with_status_0(make_standin):
    site = make_standin("gitlab")
    assert site.process is not None
    started = time.monotonic()
    site.process.send_signal(signal.SIGTERM)
    assert site.process.wait(timeout=5) == 0
    assert time.monotonic() - started < 2
    assert not (site.data_dir / "gitlab.pid").exists()


def test_sigterm_during_boot_exits_too(make_standin):
    site = make_standin("reddit", boot_s=30, start=False).start(wait_path=None)
    site.wait_listening()
    assert site.process is not None
    site.process.send_signal(signal.SIGTERM)
    assert site.process.wait(timeout=5) == 0
