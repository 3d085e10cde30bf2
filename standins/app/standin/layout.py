"""The HTML skeleton shared by every page of every mode."""

from __future__ import annotations

from html import escape

from standin.context import Context
from standin.web import Response


def page(ctx: Context, title: str, body: str, status: int = 200) -> Response:
    """A full HTML page: title naming the site kind, nav, stylesheet, logo, #site-kind."""
    mode = ctx.mode
    nav = " ".join(
        f'<a href="{escape(href)}">{escape(label)}</a>' for label, href in nav_links(ctx)
    )
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} | {escape(mode.label)} ({mode.name})</title>
<link rel="stylesheet" href="{escape(ctx.url("/static/style.css"))}">
</head>
<body>
<header>
<img src="{escape(ctx.url("/static/logo.svg"))}" alt="{escape(mode.label)} logo">
<span id="site-kind">{mode.name}</span>
<nav id="site-nav">{nav}</nav>
</header>
<main>
{body}
</main>
</body>
</html>
"""
    return Response(status, html.encode(), headers=[("Cache-Control", "no-store")])


def nav_links(ctx: Context) -> list[tuple[str, str]]:
    """(label, href) pairs: the site's own sections, then account links when it has logins."""
    items = list(ctx.nav)
    prefix = ctx.mode.app_prefix
    if ctx.mode.has_login:
        if ctx.user:
            items += [("Account", f"{prefix}/account"), ("Sign out", f"{prefix}/logout")]
        else:
            items.append(("Sign in", ctx.mode.login_path))
    return [(label, ctx.url(path)) for label, path in items]


def error_page(ctx: Context, status: int, title: str, message: str) -> Response:
    """A page explaining an error, with an element #error-message."""
    body = f'<h1>{escape(title)}</h1>\n<p class="error" id="error-message">{escape(message)}</p>'
    return page(ctx, title, body, status)


def not_found(ctx: Context) -> Response:
    """The 404 page."""
    return error_page(ctx, 404, "Not found", f"No page at {ctx.request.path}.")
