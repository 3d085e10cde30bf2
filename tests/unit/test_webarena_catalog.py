"""The real-image catalogs: recipes rendered for a sample port, checked against the documented
commands, run where they can be (shell syntax, sed on a gitlab.rb copy, the verify steps'
logic with stub commands), and the login selectors driven in Chromium."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from webarena_isolation.browser import launch_chromium
from webarena_isolation.catalog import SITE_KINDS, SiteSpec, load_catalog, render_template
from webarena_isolation.environment import _volumes
from webarena_isolation.errors import EnvironmentStartError
from webarena_isolation.image_tars import expected_images, full_tag, hinted_tar, tar_stem

ORIGIN = "http://127.0.0.1:49213"
REAL = ("webarena", "webarena-verified")
# The WA README's step 6 commands (environment_docker/README.md), `docker exec <name>` removed
# and <host>:<port> replaced by the sample origin.
DOCUMENTED = {
    "shopping": [
        f'/var/www/magento2/bin/magento setup:store-config:set --base-url="{ORIGIN}"',
        (
            f"mysql -u magentouser -pMyPassword magentodb -e 'UPDATE core_config_data SET "
            f'value="{ORIGIN}/" WHERE path = "web/secure/base_url";\''
        ),
        "/var/www/magento2/bin/magento cache:flush",
    ],
    "shopping_admin": [
        "php /var/www/magento2/bin/magento config:set admin/security/password_is_forced 0",
        "php /var/www/magento2/bin/magento config:set admin/security/password_lifetime 0",
        f'/var/www/magento2/bin/magento setup:store-config:set --base-url="{ORIGIN}"',
        (
            f"mysql -u magentouser -pMyPassword magentodb -e 'UPDATE core_config_data SET "
            f'value="{ORIGIN}/" WHERE path = "web/secure/base_url";\''
        ),
        "/var/www/magento2/bin/magento cache:flush",
    ],
    "gitlab": [
        f"sed -i \"s|^external_url.*|external_url '{ORIGIN}'|\" /etc/gitlab/gitlab.rb",
        "gitlab-ctl reconfigure",
    ],
}


def rendered(spec: SiteSpec, origin: str = ORIGIN) -> list[str]:
    host, port = origin.removeprefix("http://").split(":")
    values = {
        "origin": origin,
        "url": spec.site_url(origin),
        "host": host,
        "port": int(port),
        "container_port": spec.container_port,
        "task_id": 78,
    }
    return [render_template(template, values) for template in spec.reconfigure]


def is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(needle == item for item in remaining) for needle in needles)


@pytest.mark.parametrize("name", REAL)
def test_catalogs_load_with_every_site_kind(name):
    catalog = load_catalog(name)
    assert set(catalog.sites) == set(SITE_KINDS)
    assert catalog.site("shopping_admin").site_url(ORIGIN) == ORIGIN + "/admin"
    assert catalog.site("gitlab").container_port == 8023


def test_official_images_ports_and_commands():
    catalog = load_catalog("webarena")
    assert {k: (s.image, s.container_port) for k, s in catalog.sites.items() if k != "map"} == {
        "shopping": ("shopping_final_0712", 80),
        "shopping_admin": ("shopping_admin_final_0719", 80),
        "reddit": ("postmill-populated-exposed-withimg", 80),
        "gitlab": ("gitlab-populated-final-port8023", 8023),
        "wikipedia": ("ghcr.io/kiwix/kiwix-serve:3.3.0", 80),
        "homepage": ("webarena-isolation-standin:latest", 80),
    }
    assert catalog.site("gitlab").command == ("/opt/gitlab/embedded/bin/runsvdir-start",)
    wiki = catalog.site("wikipedia")
    assert wiki.command == ("wikipedia_en_all_maxi_2022-05.zim",)
    assert [(m.target, m.read_only) for m in wiki.mounts] == [("/data", True)]
    assert wiki.url_path == "/wikipedia_en_all_maxi_2022-05/A/User:The_other_Kiwix_guy/Landing"


@pytest.mark.parametrize("kind", sorted(DOCUMENTED))
def test_official_recipes_contain_the_documented_commands_in_order(kind):
    commands = rendered(load_catalog("webarena").site(kind))
    assert is_subsequence(DOCUMENTED[kind], commands), commands


def test_magento_recipes_rewrite_every_slot_then_verify():
    for kind in ("shopping", "shopping_admin"):
        for name in REAL:
            commands = rendered(load_catalog(name).site(kind))
            assert any("LIKE 'web/%secure/base%url'" in c for c in commands)
            flush = max(i for i, c in enumerate(commands) if "cache:flush" in c)
            verify = commands[-1]
            assert flush < len(commands) - 1 and "metis.lti.cs.cmu.edu" in verify
            assert f"NOT LIKE '{ORIGIN}/%'" in verify and "exit 1" in verify
    wav = rendered(load_catalog("webarena-verified").site("shopping"))
    assert f"env-ctrl init --base-url {ORIGIN}/" in wav


@pytest.mark.parametrize("name", REAL)
def test_gitlab_keeps_nginx_on_the_container_port_and_caps_puma(name):
    commands = rendered(load_catalog(name).site("gitlab"))
    appended = next(c for c in commands if c.startswith("printf"))
    assert appended == (
        "printf \"\\nnginx['listen_port'] = 8023\\npuma['worker_processes'] = 2\\n\" "
        ">> /etc/gitlab/gitlab.rb"
    )
    assert commands.index(appended) < commands.index("gitlab-ctl reconfigure")
    readiness = load_catalog(name).site("gitlab").readiness
    assert (readiness.path, readiness.body_contains) == ("/users/sign_in", "username-field")
    assert readiness.timeout_s >= 600


@pytest.mark.parametrize("name", REAL)
def test_every_recipe_renders_parses_as_sh_and_names_no_canonical_address(name):
    for kind, spec in load_catalog(name).sites.items():
        for command in rendered(spec):
            assert "{" not in command.replace("{{unsecure", ""), (kind, command)
            assert "localhost:" not in command, (kind, command)
            check = subprocess.run(
                ["sh", "-n", "-c", command], capture_output=True, text=True, check=False
            )
            assert check.returncode == 0, (kind, command, check.stderr)


def test_wav_passes_the_base_url_env_and_reads_env_ctrl_status():
    catalog = load_catalog("webarena-verified")
    for kind in ("shopping", "shopping_admin", "reddit", "gitlab", "wikipedia", "map"):
        spec = catalog.site(kind)
        assert spec.image == f"am1n3e/webarena-verified-{kind}"
        assert spec.environment["WA_ENV_CTRL_EXTERNAL_SITE_URL"] == spec.canonical_origin
        assert "env-ctrl status" in rendered(spec)[0]
    assert catalog.site("gitlab").shm_size_mb == 2048
    assert catalog.site("wikipedia").container_port == 8080


def test_gitlab_sed_recipe_on_a_copy_of_gitlab_rb(tmp_path):
    rb = tmp_path / "gitlab.rb"
    yml = tmp_path / "gitlab.yml"
    rb.write_text(
        "external_url 'http://metis.lti.cs.cmu.edu:8023'\n"
        "# nginx['listen_port'] = nil\n"
        "nginx['listen_port'] = 8023\n"
        "puma['worker_processes'] = 4\n"
        "gitlab_rails['time_zone'] = 'UTC'\n"
    )
    commands = [
        c.replace("/etc/gitlab/gitlab.rb", str(rb)).replace(
            "/var/opt/gitlab/gitlab-rails/etc/gitlab.yml", str(yml)
        )
        for c in rendered(load_catalog("webarena").site("gitlab"))
    ]
    edits = [c for c in commands if c.startswith(("sed", "printf"))]
    for _ in range(2):  # a retried reconfigure must not pile up lines
        for command in edits:
            subprocess.run(["sh", "-c", command], check=True)
    lines = rb.read_text().splitlines()
    assert [line for line in lines if line.startswith("external_url")] == [
        f"external_url '{ORIGIN}'"
    ]
    assert [line for line in lines if line.startswith("nginx['listen_port']")] == [
        "nginx['listen_port'] = 8023"
    ]
    assert [line for line in lines if line.startswith("puma[")] == ["puma['worker_processes'] = 2"]
    assert "# nginx['listen_port'] = nil" in lines and "metis" not in rb.read_text()

    verify = commands[-1]
    yml.write_text("production: &base\n  gitlab:\n    host: 127.0.0.1\n    port: 49213\n")
    assert subprocess.run(["sh", "-c", verify], check=False).returncode == 0
    yml.write_text("production: &base\n  gitlab:\n    host: 127.0.0.1\n    port: 8023\n")
    assert subprocess.run(["sh", "-c", verify], check=False).returncode == 1


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _run_with_stubs(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{folder}:{os.environ['PATH']}")
    return subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, env=env, check=False
    )


def test_magento_verify_step_fails_while_an_old_address_is_stored(tmp_path):
    verify = rendered(load_catalog("webarena").site("shopping"))[-1]
    rows = tmp_path / "rows"
    _stub(tmp_path, "mysql", f'echo "$@" > {tmp_path}/query\ncat {rows}\n')
    rows.write_text("web/secure/base_media_url\thttp://metis.lti.cs.cmu.edu:7770/pub/media/\n")
    failed = _run_with_stubs(verify, tmp_path)
    assert failed.returncode == 1 and "pub/media" in failed.stderr
    assert f"value NOT LIKE '{ORIGIN}/%'" in (tmp_path / "query").read_text()
    rows.write_text("")
    assert _run_with_stubs(verify, tmp_path).returncode == 0


def test_wav_wait_for_env_ctrl_is_bounded(tmp_path):
    wait = rendered(load_catalog("webarena-verified").site("shopping"))[0]
    _stub(tmp_path, "sleep", "exit 0\n")
    _stub(tmp_path, "supervisorctl", 'echo "env-ctrl-init EXITED"\n')
    count = tmp_path / "count"
    count.write_text("0")
    # Healthy on the third status call.
    _stub(tmp_path, "env-ctrl", f'n=$(($(cat {count})+1)); echo $n > {count}; [ $n -ge 3 ]\n')
    assert _run_with_stubs(wait, tmp_path).returncode == 0
    assert count.read_text().strip() == "3"
    _stub(tmp_path, "env-ctrl", f'echo call >> {tmp_path}/calls; echo "$@"; exit 1\n')
    never = _run_with_stubs(wait, tmp_path)
    assert never.returncode == 1 and "--verbose status" in never.stdout
    assert len((tmp_path / "calls").read_text().splitlines()) == 151  # 150 tries + report
    # The boot-time init still running keeps it waiting even when env-ctrl says healthy.
    _stub(tmp_path, "env-ctrl", "exit 0\n")
    _stub(tmp_path, "supervisorctl", 'echo "env-ctrl-init RUNNING"\n')
    assert _run_with_stubs(wait, tmp_path).returncode == 1


@pytest.mark.parametrize("name", REAL)
def test_login_recipes_use_webarena_accounts_and_expiry_checks(name):
    catalog = load_catalog(name)
    expected = {
        "shopping": ("emma.lopez@gmail.com", "{url}/wishlist/", "My Wish List"),
        "shopping_admin": ("admin", "{url}/dashboard", "Dashboard"),
        "reddit": ("MarvelsGrantMan136", "{url}/user/MarvelsGrantMan136/account", "Delete"),
        "gitlab": ("byteblaze", "{url}/-/profile", "Sign out"),
    }
    for kind, (user, url, text) in expected.items():
        login = catalog.site(kind).login
        assert login is not None
        assert (login.username, login.signed_in_url, login.signed_in_text) == (user, url, text)
        assert login.failure_texts
    admin = catalog.site("shopping_admin").login
    assert admin is not None
    assert {"Invalid Form Key", "time to change your password", "Incorrect CAPTCHA"} <= set(
        admin.failure_texts
    )


# Forms shaped the way WebArena's auto_login.py finds them (label, placeholder, test id,
# button role and name), with a decoy link named like the button.
LOGIN_PAGES = {
    "shopping": """<a href="#">Sign In</a><form onsubmit="return false">
        <label for="email">Email</label><input id="email" name="login[username]">
        <label for="pass">Password</label><input id="pass" type="password">
        <button type="submit" onclick="document.title='submitted'">Sign In</button></form>""",
    "shopping_admin": """<form onsubmit="return false">
        <input id="username" placeholder="user name"><input id="login" placeholder="password">
        <button onclick="document.title='submitted'">Sign in</button></form>""",
    "reddit": """<a href="#">Log in</a><form onsubmit="return false">
        <label for="u">Username</label><input id="u"><label for="p">Password</label>
        <input id="p" type="password">
        <button onclick="document.title='submitted'">Log in</button></form>""",
    "gitlab": """<form onsubmit="return false">
        <input id="user_login" data-testid="username-field">
        <input id="user_password" data-testid="password-field">
        <button data-testid="sign-in-button" onclick="document.title='submitted'">Sign in</button>
        </form>""",
}


def test_login_selectors_fill_and_click_in_chromium():
    catalog = load_catalog("webarena")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for kind, html in LOGIN_PAGES.items():
                login = catalog.site(kind).login
                assert login is not None
                page = browser.new_page()
                page.set_content(html)
                values = {"username": login.username, "password": login.password}
                for step in login.steps[1:]:
                    if step.fill is not None:
                        page.fill(step.fill, render_template(step.value or "", values))
                    elif step.click is not None:
                        page.click(step.click, timeout=5000)
                filled = page.eval_on_selector_all("input", "els => els.map(e => e.value)")
                assert filled == [login.username, login.password], kind
                assert page.title() == "submitted", kind
                page.close()
        finally:
            browser.close()


def test_load_hints_name_the_tars_images_load_matches():
    for name in REAL:
        catalog = load_catalog(name)
        for kind, spec in catalog.sites.items():
            if kind == "homepage":
                continue
            assert re.fullmatch(r"docker load --input [\w.-]+\.tar", spec.load_hint), spec
    expected = expected_images(load_catalog("webarena"))
    assert expected["shopping_final_0712"] == ("shopping_final_0712",)
    assert expected["kiwix-serve-3.3.0"] == ("ghcr.io/kiwix/kiwix-serve:3.3.0",)
    assert hinted_tar("docker load --input /data/x.tar") == "x.tar"
    assert hinted_tar("run `webarena-isolation setup`") is None
    names = ("a.tar", "b.tar.gz", "c.tgz", "d.txt")
    assert [tar_stem(n) for n in names] == ["a", "b", "c", "d.txt"]
    assert full_tag("shopping_final_0712") == "shopping_final_0712:latest"
    assert full_tag("ghcr.io/kiwix/kiwix-serve:3.3.0") == "ghcr.io/kiwix/kiwix-serve:3.3.0"
    assert full_tag("localhost:5000/img") == "localhost:5000/img:latest"


def test_mounts_expand_variables_and_explain_what_is_missing(tmp_path, monkeypatch):
    spec = load_catalog("webarena").site("wikipedia")
    monkeypatch.setenv("WEBARENA_WIKIPEDIA_DIR", str(tmp_path))
    assert _volumes(spec, 78) == {str(tmp_path): {"bind": "/data", "mode": "ro"}}
    monkeypatch.setenv("WEBARENA_WIKIPEDIA_DIR", str(tmp_path / "nope"))
    with pytest.raises(EnvironmentStartError, match="doesn't exist"):
        _volumes(spec, 78)
    monkeypatch.delenv("WEBARENA_WIKIPEDIA_DIR")
    with pytest.raises(EnvironmentStartError, match="unset environment variable"):
        _volumes(spec, 78)
    volumes = _volumes(load_catalog("webarena-verified").site("map"), 7)
    assert volumes["webarena_verified_map_tile_db"] == {"bind": "/data/database", "mode": "rw"}


def test_demo_catalog_still_has_no_mounts():
    assert all(not spec.mounts and spec.shm_size_mb is None
               for spec in load_catalog("demo").sites.values())
