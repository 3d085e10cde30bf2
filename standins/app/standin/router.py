"""Matching a request to a page handler by method and path pattern."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from standin.context import Context
from standin.layout import error_page, not_found
from standin.web import Response

Handler = Callable[[Context, re.Match[str]], Response]


@dataclass(frozen=True)
class Route:
    """One handler for one method on paths matching ``pattern`` as a whole."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    cacheable: bool = False  # may the Magento page cache keep its anonymous output


def route(method: str, pattern: str, handler: Handler, *, cacheable: bool = False) -> Route:
    """Build a Route from a regular expression source."""
    return Route(method, re.compile(pattern), handler, cacheable)


class Router:
    """Finds the route for a request; answers 404 or 405 when there is none."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = tuple(routes)

    def dispatch(self, ctx: Context) -> tuple[Route | None, Response]:
        """Run the matching handler; return it with its response."""
        method = "GET" if ctx.request.method == "HEAD" else ctx.request.method
        allowed = []
        for candidate in self._routes:
            match = candidate.pattern.fullmatch(ctx.request.path)
            if match is None:
                continue
            if candidate.method == method:
                return candidate, candidate.handler(ctx, match)
            allowed.append(candidate.method)
        if not allowed:
            return None, not_found(ctx)
        response = error_page(ctx, 405, "Method not allowed", f"Use {', '.join(allowed)}.")
        response.headers.append(("Allow", ", ".join(allowed)))
        return None, response
