"""Registry of the site modes, one module each."""

from __future__ import annotations

from standin.site import Site
from standin.sites import (
    gitlab,
    homepage,
    openstreetmap,
    reddit,
    shopping,
    shopping_admin,
    wikipedia,
)

SITES: dict[str, Site] = {
    module.SITE.mode.name: module.SITE
    for module in (shopping, shopping_admin, reddit, gitlab, wikipedia, openstreetmap, homepage)
}
