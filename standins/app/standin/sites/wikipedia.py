"""Kiwix-served Wikipedia: read-only articles that link to each other relatively."""

from __future__ import annotations

import re
from html import escape

from standin.context import Context
from standin.layout import not_found, page
from standin.modes import MODES
from standin.router import route
from standin.site import Site
from standin.web import Response

MODE = MODES["wikipedia"]
BOOK = "/wikipedia_en_all_maxi_2022-05"
LANDING = "User:The_other_Kiwix_guy/Landing"

# name -> (title, paragraph, names of linked articles)
ARTICLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    LANDING: (
        "Welcome to Wikipedia",
        "This offline copy of the encyclopedia opens here. Pick an article to start reading.",
        ("Pittsburgh", "Carnegie_Mellon_University", "Web_browser"),
    ),
    "Pittsburgh": (
        "Pittsburgh",
        "Pittsburgh is a city in western Pennsylvania where three rivers meet.",
        ("Carnegie_Mellon_University",),
    ),
    "Carnegie_Mellon_University": (
        "Carnegie Mellon University",
        "Carnegie Mellon University is a private research university in Pittsburgh.",
        ("Pittsburgh", "Web_browser"),
    ),
    "Web_browser": (
        "Web browser",
        "A web browser is an application that fetches and displays pages from the web.",
        (LANDING,),
    ),
}


def article_path(name: str) -> str:
    """Path of an article in the book."""
    return f"{BOOK}/A/{name}"


def library(ctx: Context, _match: re.Match[str]) -> Response:
    """The kiwix library page listing the one book."""
    link = escape(ctx.url(article_path(LANDING)))
    return page(ctx, "Library", f'<h1>Library</h1>\n<p><a href="{link}">Wikipedia</a></p>')


def article(ctx: Context, match: re.Match[str]) -> Response:
    """One article with relative links to its neighbours."""
    if (found := ARTICLES.get(match.group(1))) is None:
        return not_found(ctx)
    title, text, linked = found
    items = "\n".join(
        f'<li><a class="article-link" href="{escape(ctx.url(article_path(name)))}">'
        f"{escape(ARTICLES[name][0])}</a></li>"
        for name in linked
    )
    body = f'<h1 id="article-title">{escape(title)}</h1>\n<p>{escape(text)}</p>\n'
    body += f"<ul>\n{items}\n</ul>"
    return page(ctx, title, body)


SITE = Site(
    mode=MODE,
    routes=(
        route("GET", "/", library),
        route("GET", re.escape(f"{BOOK}/A/") + "(.+)", article),
    ),
    nav=(("Library", "/"), ("Main page", article_path(LANDING))),
)
