"""Catalog loading, validation, overrides and templates."""

import pytest

from webarena_isolation.catalog import (
    SITE_KINDS,
    builtin_catalog_names,
    load_catalog,
    render_template,
)
from webarena_isolation.errors import CatalogError


def test_demo_has_every_site_kind():
    catalog = load_catalog("demo")
    assert set(catalog.sites) == set(SITE_KINDS)
    assert catalog.site("shopping_admin").site_url("http://h:1") == "http://h:1/admin"


def test_user_file_overrides_builtin(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "demo"\nname = "mine"\n'
        "[sites.gitlab]\nmem_limit_mb = 1024\n"
        "[sites.gitlab.readiness]\ntimeout_s = 300\n"
    )
    catalog = load_catalog(str(path))
    assert catalog.name == "mine"
    assert catalog.site("gitlab").mem_limit_mb == 1024
    assert catalog.site("gitlab").readiness.timeout_s == 300
    assert catalog.site("gitlab").readiness.path == "/users/sign_in", "merged, not replaced"
    assert catalog.site("shopping").image == load_catalog("demo").site("shopping").image


@pytest.mark.parametrize(
    ("body", "says"),
    [("[sites.x]\nimage = 1\n", "invalid"),
     ("[sites.x]\nimage='i'\ncontainer_port=80\ncanonical_origin='localhost:1'\n", "not an origin"),
     ("[sites.x]\nimage='i'\ncontainer_port=80\ncanonical_origin='http://a:1'\nbogus=1\n",
      "invalid"),
     ("name = 'empty'\n", "no [sites"),
     ("[sites\n", "not valid TOML")],
)
def test_invalid_files_are_explained(tmp_path, body, says):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(CatalogError, match=says.replace("[", r"\[")):
        load_catalog(str(path))


def test_unknown_names():
    with pytest.raises(CatalogError, match="no built-in catalog named 'nope'"):
        load_catalog("nope")
    with pytest.raises(CatalogError, match="has no site 'forum'"):
        load_catalog("demo").site("forum")
    assert "demo" in builtin_catalog_names()


def test_templates():
    assert render_template("set {origin}/", {"origin": "http://a:1"}) == "set http://a:1/"
    with pytest.raises(CatalogError, match="unknown field.*oirgin"):
        render_template("set {oirgin}", {"origin": "x"})
