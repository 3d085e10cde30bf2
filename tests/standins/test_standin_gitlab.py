"""GitLab quirk: the server listens on external_url's port unless listen_port is set, and
only `reconfigure` applies a change."""

from __future__ import annotations

import json


def sign_in_links(site) -> str:
    return site.client().get("/users/sign_in").doc.one("form", id="login-form").attrs["action"]


def test_listens_on_external_url_port_and_moves_on_reconfigure(make_standin, unused_port):
    site = make_standin("gitlab")
    first_port, second_port = site.port, unused_port()
    assert sign_in_links(site) == f"http://localhost:{first_port}/login"
    site.cli("set-config", "external_url", f"http://localhost:{second_port}")
    assert sign_in_links(site) == f"http://localhost:{first_port}/login", "not applied yet"

    result = site.cli("reconfigure")
    assert f"port {second_port}" in result.stdout
    site.wait_listening(second_port)
    site.wait_until(lambda: not site.listening(first_port), "the old port to close", 2)
    site.port = second_port
    assert sign_in_links(site) == f"http://localhost:{second_port}/login"
    state = json.loads((site.data_dir / "gitlab.state.json").read_text())
    assert state["port"] == second_port and state["pid"] == site.process.pid


def test_listen_port_keeps_the_container_port_while_the_url_moves(make_standin, unused_port):
    site = make_standin("gitlab")
    container_port, published, spare = site.port, unused_port(), unused_port()
    site.cli("set-config", "listen_port", str(container_port))
    site.cli("set-config", "external_url", f"http://127.0.0.1:{published}")
    site.cli("reconfigure")
    assert sign_in_links(site) == f"http://127.0.0.1:{published}/login"
    assert not site.listening(published)

    site.cli("set-config", "listen_port", str(spare))
    site.cli("reconfigure")
    site.port = spare
    site.wait_listening()
    assert site.client().get("/users/sign_in").status == 200
    assert site.client().get("/").location == f"http://127.0.0.1:{published}/login"


def test_set_base_url_reconfigures_in_one_command(make_standin):
    site = make_standin("gitlab")
    site.cli("set-config", "listen_port", str(site.port))
    result = site.cli("set-base-url", "http://127.0.0.1:34567")
    assert "reconfigured" in result.stdout
    assert sign_in_links(site) == "http://127.0.0.1:34567/login"


def test_reconfigure_reports_a_port_it_cannot_take(make_standin, unused_port):
    site = make_standin("gitlab")
    other = make_standin("reddit", port=unused_port())
    site.cli("set-config", "listen_port", str(other.port))
    result = site.cli("reconfigure", check=False)
    assert result.returncode != 0 and "reconfigure failed" in result.stderr
    assert site.client().get("/users/sign_in").status == 200, "still on the old port"


def test_settings_are_validated_and_apply_at_start_without_a_server(make_standin, unused_port):
    site = make_standin("gitlab", start=False)
    for key, value in (
        ("listen_port", "http"),
        ("listen_port", "70000"),
        ("external_url", "localhost:1"),
        ("nonsense", "1"),
    ):
        assert site.cli("set-config", key, value, check=False).returncode != 0, (key, value)
    port = unused_port()
    site.cli("set-config", "listen_port", str(port))
    offline = site.cli("reconfigure")
    assert "no running server" in offline.stderr
    assert site.cli("get-config", "listen_port").stdout.strip() == str(port)
    site.port = port
    site.start(wait_path="/users/sign_in")
    site.cli("set-config", "listen_port", "")
    assert site.cli("get-config", "listen_port").stdout.strip() == ""
