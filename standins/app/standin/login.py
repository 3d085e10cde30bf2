"""Login form, sign-in, sign-out and the account page, shared by every mode with accounts."""

from __future__ import annotations

import logging
import re
from html import escape

from standin import accounts, sessions
from standin.context import Context
from standin.guards import require_form_key, require_login
from standin.layout import page
from standin.router import Route, route
from standin.sessions import Session
from standin.web import Response, redirect

logger = logging.getLogger(__name__)

INVALID_LOGIN = "Invalid login or password."


def routes(prefix: str, aliases: tuple[str, ...] = ()) -> tuple[Route, ...]:
    """Routes for the login form at ``prefix``/login (and aliases), logout and account."""
    found: list[Route] = []
    for path in (f"{prefix}/login", *aliases):
        found += [route("GET", re.escape(path), show_form), route("POST", re.escape(path), submit)]
    found += [
        route("GET", re.escape(f"{prefix}/logout"), logout),
        route("GET", re.escape(f"{prefix}/account"), account),
    ]
    return tuple(found)


def show_form(ctx: Context, _match: re.Match[str]) -> Response:
    """Render the form; a first visit starts an anonymous session holding the form key."""
    if ctx.session is not None:
        return _form(ctx, ctx.session)
    session = sessions.start(ctx.conn)
    response = _form(ctx, session)
    response.headers.append(sessions.set_cookie(ctx.mode, session))
    return response


def submit(ctx: Context, _match: re.Match[str]) -> Response:
    """Check form key, then credentials; on success rotate the session and redirect."""
    if (refused := require_form_key(ctx)) is not None:
        logger.info("login refused: form key missing or not this session's")
        return refused
    assert ctx.session is not None  # a matching form key implies a session
    username = ctx.request.form.get("username", "").strip()
    if not accounts.verify(ctx.conn, username, ctx.request.form.get("password", "")):
        logger.info("login failed for %r", username)
        return _form(ctx, ctx.session, error=INVALID_LOGIN)
    session = sessions.sign_in(ctx.conn, ctx.session, username)
    logger.info("signed in %r", username)
    response = redirect(ctx.secure_url(f"{ctx.mode.app_prefix}/"))
    response.headers.append(sessions.set_cookie(ctx.mode, session))
    return response


def logout(ctx: Context, _match: re.Match[str]) -> Response:
    """End the session and return to the site's start page."""
    if ctx.session is not None:
        sessions.end(ctx.conn, ctx.session)
    response = redirect(ctx.url(f"{ctx.mode.app_prefix}/"))
    response.headers.append(sessions.clear_cookie(ctx.mode))
    return response


def account(ctx: Context, _match: re.Match[str]) -> Response:
    """Show who is signed in."""
    if (refused := require_login(ctx)) is not None:
        return refused
    body = f'<h1>My account</h1>\n<p id="signed-in-as">Signed in as {escape(ctx.user or "")}</p>'
    return page(ctx, "My account", body)


def _form(ctx: Context, session: Session, error: str | None = None) -> Response:
    notice = f'<p class="error" id="login-error">{escape(error)}</p>\n' if error else ""
    action = ctx.secure_url(ctx.mode.login_path)
    body = f"""<h1>Sign in</h1>
{notice}<form id="login-form" method="post" action="{escape(action)}">
<input type="hidden" name="form_key" value="{escape(session.form_key)}">
<p><label for="login-username">Username</label>
<input id="login-username" type="text" name="username" autocomplete="username" required></p>
<p><label for="login-password">Password</label>
<input id="login-password" type="password" name="password" autocomplete="current-password"
 required></p>
<p><button type="submit">Sign in</button></p>
</form>"""
    return page(ctx, "Sign in", body)
