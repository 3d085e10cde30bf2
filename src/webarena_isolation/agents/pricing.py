"""What model calls cost: a small price table in US dollars per million tokens.

Prices are the providers' published list prices for standard (non-batch) text requests as of
mid-2025; edit :data:`PRICES_PER_MTOK` when they change. A model that is not in the table, or any
model behind ``--api-base``, gets cost ``None`` rather than a guess.
"""

from __future__ import annotations

import re

# (input, output) USD per 1M tokens, keyed by model name; a dated or preview variant
# (``claude-sonnet-4-20250514``, ``gemini-2.5-pro-preview-05-06``) costs what its base costs.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.0-flash": (0.10, 0.40),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-haiku": (0.80, 4.00),
}

# Only version, date and preview tails: ``o3-pro`` or ``gpt-4o-audio`` are other price lines.
_VARIANT_SUFFIX = re.compile(r"(-(\d[0-9a-z.]*|preview|latest|exp))*")


def price_of(model: str) -> tuple[float, float] | None:
    """The (input, output) price per 1M tokens of ``model``, or ``None`` if unknown."""
    name = model.strip().lower().removeprefix("models/")
    matches = [
        prefix
        for prefix in PRICES_PER_MTOK
        if name.startswith(prefix) and _VARIANT_SUFFIX.fullmatch(name[len(prefix) :])
    ]
    if not matches:
        return None
    return PRICES_PER_MTOK[max(matches, key=len)]


def cost_usd(
    model: str, prompt_tokens: int, completion_tokens: int, *, custom_base: bool = False
) -> float | None:
    """The cost of the tokens, rounded to 1/10000 cent; ``None`` when the price is unknown.

    Args:
        model: the model name.
        prompt_tokens: input tokens.
        completion_tokens: output tokens (thinking tokens included, as providers bill them).
        custom_base: the model was served by ``--api-base``: its price is not ours to know.
    """
    price = None if custom_base else price_of(model)
    if price is None:
        return None
    cost = (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000
    return round(cost, 6)
