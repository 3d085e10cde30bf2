"""The site application: request in, response out, with sessions and the page cache."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

from standin import baseurl, db, login, pagecache, sessions
from standin.assets import STATIC_FILES
from standin.baseurl import BaseUrls
from standin.context import Context
from standin.router import Route, Router, route
from standin.site import Site
from standin.web import Request, Response, plain

logger = logging.getLogger(__name__)


class Application:
    """Serves one mode from its database in ``data_dir``."""

    def __init__(self, site: Site, data_dir: Path) -> None:
        self.site = site
        self.mode = site.mode
        self.db_path = self.mode.db_path(data_dir)
        self.router = Router(_all_routes(site))
        # GitLab pages use the external_url applied at start or `reconfigure`, not the
        # stored one, like omnibus GitLab before `gitlab-ctl reconfigure`.
        self.applied_external_url: str | None = None

    def handle(self, request: Request) -> Response:
        """Answer one request; failures become a plain 500."""
        try:
            conn = db.connect(self.db_path)
        except (db.MissingDatabaseError, sqlite3.Error):
            logger.exception("cannot open %s", self.db_path)
            return plain(500, "database unavailable")
        try:
            return self._handle(conn, request)
        except Exception:
            logger.exception("error serving %s %s", request.method, request.path)
            return plain(500, "internal error")
        finally:
            conn.close()

    def _handle(self, conn: sqlite3.Connection, request: Request) -> Response:
        session = sessions.load(conn, self.mode, request.cookies)
        anonymous = session is None or not session.authenticated
        cached = self.mode.page_cache and request.method in ("GET", "HEAD") and anonymous
        if cached and (hit := pagecache.lookup(conn, request.cache_key)) is not None:
            return hit
        ctx = Context(conn, self.mode, request, session, self._bases(conn), self.site.nav)
        matched, response = self.router.dispatch(ctx)
        if (
            cached
            and matched is not None
            and matched.cacheable
            and response.status == 200
            and not response.sets_cookie
        ):
            pagecache.store(conn, request.cache_key, response)
        return response

    def _bases(self, conn: sqlite3.Connection) -> BaseUrls:
        if self.applied_external_url is not None:
            return BaseUrls(self.applied_external_url, self.applied_external_url)
        return baseurl.read(conn, self.mode)


def _all_routes(site: Site) -> list[Route]:
    found = list(site.routes)
    if site.mode.has_login:
        found += login.routes(site.mode.app_prefix, site.login_aliases)
    found += [route("GET", re.escape(path), _static) for path in STATIC_FILES]
    return found


def _static(ctx: Context, _match: re.Match[str]) -> Response:
    body, content_type = STATIC_FILES[ctx.request.path]
    return Response(200, body, content_type, [("Cache-Control", "max-age=3600")])
