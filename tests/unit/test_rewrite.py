"""Rewriting real WebArena configs to point at one task's own sites."""

import json

import pytest

from webarena_isolation.catalog import load_catalog
from webarena_isolation.errors import ConfigRewriteError
from webarena_isolation.rewrite import (
    PLACEHOLDERS,
    SiteAddress,
    rewrite_config,
    site_environment_variables,
)
from webarena_isolation.tasks import load_task_pool

POOL = load_task_pool()
CATALOG = load_catalog("demo")


def addresses_for(kinds, base_port=40000):
    found = {}
    for offset, kind in enumerate(kinds):
        spec = CATALOG.site(kind)
        origin = f"http://127.0.0.1:{base_port + offset}"
        found[kind] = SiteAddress(kind, origin, spec.site_url(origin), spec.canonical_origin)
    return found


def test_task_78_points_at_its_admin_and_private_state(tmp_path):
    out = rewrite_config(POOL[78], addresses_for(["shopping_admin"]), auth_dir=tmp_path)
    assert out["start_url"] == "http://127.0.0.1:40000/admin"
    assert out["storage_state"] == str(tmp_path / "shopping_admin_state.json")
    assert POOL[78]["start_url"] == "__SHOPPING_ADMIN__", "original must stay untouched"


def test_placeholders_inside_required_contents_are_replaced(tmp_path):
    out = rewrite_config(POOL[552], addresses_for(["gitlab", "reddit"]), auth_dir=tmp_path)
    text = json.dumps(out)
    assert "__REDDIT__" not in text and "__GITLAB__" not in text
    contents = out["eval"]["program_html"][0]["required_contents"]["must_include"]
    assert all(item.startswith("http://127.0.0.1:40001/f/space/") for item in contents)
    assert out["storage_state"].endswith("gitlab.reddit_state.json")


def test_every_real_task_rewrites_cleanly(tmp_path):
    for task_id, config in POOL.items():
        out = rewrite_config(config, addresses_for(config["sites"]), auth_dir=tmp_path)
        text = json.dumps(out)
        for placeholder in PLACEHOLDERS.values():
            assert placeholder not in text, task_id
        assert "localhost:7770" not in text and "localhost:7780" not in text, task_id
        assert "//127.0.0.1" in out["start_url"] and "///" not in out["start_url"], task_id


def test_canonical_origins_are_replaced_without_eating_longer_ports(tmp_path):
    config = {
        "task_id": 1, "sites": ["shopping"], "start_url": "http://localhost:7770/a",
        "eval": {"reference_url": "http://localhost:7770/b |OR| http://localhost:77701/c"},
        "storage_state": None,
    }
    out = rewrite_config(config, addresses_for(["shopping"]), auth_dir=tmp_path)
    assert out["start_url"] == "http://127.0.0.1:40000/a"
    assert out["eval"]["reference_url"] == (
        "http://127.0.0.1:40000/b |OR| http://localhost:77701/c"
    )
    assert out["storage_state"] is None


def test_unprovisioned_site_is_refused(tmp_path):
    with pytest.raises(ConfigRewriteError, match="needs site.*shopping_admin"):
        rewrite_config(POOL[78], addresses_for(["map"]), auth_dir=tmp_path)


def test_placeholder_of_unlisted_site_is_refused(tmp_path):
    config = {"task_id": 5, "sites": ["gitlab"], "start_url": "__GITLAB__",
              "eval": {"note": "see __REDDIT__/f/x"}}
    with pytest.raises(ConfigRewriteError, match="eval.note still holds __REDDIT__"):
        rewrite_config(config, addresses_for(["gitlab"]), auth_dir=tmp_path)


def test_start_url_without_port_is_refused(tmp_path):
    config = {"task_id": 6, "sites": [], "start_url": "http://example/"}
    with pytest.raises(ConfigRewriteError, match="no host:port"):
        rewrite_config(config, {}, auth_dir=tmp_path)


def test_multi_tab_start_urls(tmp_path):
    out = rewrite_config(POOL[431], addresses_for(POOL[431]["sites"]), auth_dir=tmp_path)
    assert all(u.startswith("http://127.0.0.1:") for u in out["start_url"].split(" |AND| "))


def test_agent_variables_have_both_naming_schemes():
    variables = site_environment_variables(addresses_for(["shopping_admin", "map"]))
    assert variables["SHOPPING_ADMIN"] == variables["WA_SHOPPING_ADMIN"]
    assert variables["SHOPPING_ADMIN"].endswith("/admin")
    assert variables["MAP"] == "http://127.0.0.1:40001"
