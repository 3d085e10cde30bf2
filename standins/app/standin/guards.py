"""Checks that stop a request early: sign-in required, form key required."""

from __future__ import annotations

from standin import sessions
from standin.context import Context
from standin.layout import error_page
from standin.web import Response, redirect

INVALID_FORM_KEY = "Invalid Form Key. Please refresh the page."


def require_login(ctx: Context) -> Response | None:
    """None for a signed-in visitor, else a redirect to the login form (secure base)."""
    if ctx.user:
        return None
    return redirect(ctx.secure_url(ctx.mode.login_path))


def require_form_key(ctx: Context) -> Response | None:
    """None when the POST carries this session's form key, else a 400 like Magento's."""
    if sessions.form_key_matches(ctx.session, ctx.request.form.get("form_key")):
        return None
    return error_page(ctx, 400, "Invalid Form Key", INVALID_FORM_KEY)
