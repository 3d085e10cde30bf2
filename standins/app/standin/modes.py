"""The site modes: static facts about each WebArena site kind the stand-in can play."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class UrlStore(enum.Enum):
    """Where a mode keeps its base URL, mimicking the real site's storage."""

    MAGENTO = "core_config_data"  # two slots, web/unsecure and web/secure
    GITLAB = "external_url"  # applied by `reconfigure`, like omnibus GitLab
    CONFIG = "base_url"  # one plain config row


@dataclass(frozen=True)
class Mode:
    """One site kind: its identity, canonical address, login and cookie conventions."""

    name: str
    label: str
    canonical_url: str
    url_store: UrlStore = UrlStore.CONFIG
    app_prefix: str = ""
    entry_path: str = ""
    cookie_name: str | None = None
    cookie_path: str = "/"
    account: tuple[str, str] | None = None
    relative_links: bool = False
    page_cache: bool = False
    config_keys: tuple[str, ...] = ()

    @property
    def has_login(self) -> bool:
        """True when the site has accounts, a login form and a session cookie."""
        return self.account is not None

    @property
    def login_path(self) -> str:
        """Path of the login form."""
        return f"{self.app_prefix}/login"

    @property
    def is_magento(self) -> bool:
        """True for the two Magento modes (core_config_data, cache:flush, config:set)."""
        return self.url_store is UrlStore.MAGENTO

    @property
    def entry_url(self) -> str:
        """Canonical address a WebArena task starts from (as in WebArena's env variables)."""
        return self.canonical_url + self.entry_path

    def db_path(self, data_dir: Path) -> Path:
        """The SQLite file holding this mode's state."""
        return data_dir / f"{self.name}.db"


LINKED_SITES = ("shopping", "shopping_admin", "reddit", "gitlab", "wikipedia", "map")

MODES: dict[str, Mode] = {
    mode.name: mode
    for mode in (
        Mode(
            name="shopping",
            label="Magento Storefront",
            canonical_url="http://localhost:7770",
            url_store=UrlStore.MAGENTO,
            cookie_name="PHPSESSID",
            account=("emma.lopez@gmail.com", "Password.123"),
            page_cache=True,
        ),
        Mode(
            name="shopping_admin",
            label="Magento Admin",
            canonical_url="http://localhost:7780",
            url_store=UrlStore.MAGENTO,
            app_prefix="/admin",
            entry_path="/admin",
            cookie_name="admin",
            cookie_path="/admin",
            account=("admin", "admin1234"),
        ),
        Mode(
            name="reddit",
            label="Postmill Forum",
            canonical_url="http://localhost:9999",
            # Same cookie name as the shop on purpose: Magento and Postmill really clash.
            cookie_name="PHPSESSID",
            account=("MarvelsGrantMan136", "test1234"),
        ),
        Mode(
            name="gitlab",
            label="GitLab",
            canonical_url="http://localhost:8023",
            url_store=UrlStore.GITLAB,
            cookie_name="_gitlab_session",
            account=("byteblaze", "hello1234"),
            config_keys=("external_url", "listen_port"),
        ),
        Mode(
            name="wikipedia",
            label="Kiwix Wikipedia",
            canonical_url="http://localhost:8888",
            entry_path="/wikipedia_en_all_maxi_2022-05/A/User:The_other_Kiwix_guy/Landing",
            relative_links=True,
        ),
        Mode(
            name="map",
            label="OpenStreetMap",
            canonical_url="http://localhost:3000",
            relative_links=True,
        ),
        Mode(
            name="homepage",
            label="WebArena Homepage",
            canonical_url="http://localhost:4399",
            config_keys=tuple(f"link.{site}" for site in LINKED_SITES),
        ),
    )
}

MODE_NAMES = tuple(MODES)


class UnknownModeError(ValueError):
    """Raised for a mode name that is not one of MODE_NAMES."""


def get_mode(name: str | None) -> Mode:
    """Return the mode called ``name``; raise UnknownModeError when missing or unknown."""
    if not name:
        raise UnknownModeError(f"no site mode given: set STANDIN_SITE or --mode ({MODE_NAMES})")
    if name not in MODES:
        raise UnknownModeError(f"unknown site mode {name!r}: expected one of {MODE_NAMES}")
    return MODES[name]
