"""What the model sees of a page: URL, title and Playwright's accessibility snapshot.

The snapshot is Playwright's ``aria_snapshot(mode="ai")``: a YAML outline of roles and names in
which every element the model may act on carries a ``[ref=eN]`` (resolved again with the
``aria-ref=eN`` selector). It is trimmed to a token budget so one page never floods the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

# A rough, provider-independent estimate; good enough to keep a prompt under a budget.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Observation:
    """One page as the model sees it.

    Attributes:
        url: the page's URL.
        title: its ``<title>``.
        snapshot: the accessibility snapshot, already trimmed.
        trimmed_lines: how many snapshot lines were cut to fit the budget.
    """

    url: str
    title: str
    snapshot: str
    trimmed_lines: int = 0

    def text(self) -> str:
        """The observation as it goes into the prompt."""
        parts = [f"URL: {self.url}", f"Title: {self.title}", "Accessibility snapshot:"]
        parts.append(self.snapshot)
        if self.trimmed_lines:
            parts.append(f"... ({self.trimmed_lines} more lines not shown; scroll or go elsewhere)")
        return "\n".join(parts)


def estimate_tokens(text: str) -> int:
    """A token estimate for ``text`` (about four characters a token)."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def trim_to_budget(text: str, budget_tokens: int) -> tuple[str, int]:
    """Keep whole lines from the top while they fit in ``budget_tokens``.

    Returns:
        The kept text and the number of lines dropped.
    """
    budget_chars = max(0, budget_tokens) * CHARS_PER_TOKEN
    lines = text.splitlines()
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = len(line) + 1
        if used + cost > budget_chars:
            break
        kept.append(line)
        used += cost
    return "\n".join(kept), len(lines) - len(kept)


def observe(page: Page, *, budget_tokens: int = 4000, timeout_ms: float = 10_000) -> Observation:
    """Read ``page`` into an :class:`Observation` of at most about ``budget_tokens`` tokens."""
    snapshot = page.aria_snapshot(mode="ai", timeout=timeout_ms)
    header_tokens = estimate_tokens(page.url) + estimate_tokens(page.title()) + 20
    kept, dropped = trim_to_budget(snapshot, budget_tokens - header_tokens)
    return Observation(url=page.url, title=page.title(), snapshot=kept, trimmed_lines=dropped)
