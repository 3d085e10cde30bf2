"""Telling a model's provider from its name."""

from __future__ import annotations

import re

from webarena_isolation.errors import ProviderError

PROVIDERS = ("google", "openai", "anthropic", "openai-compatible")

_BY_PREFIX = (
    (re.compile(r"^(models/)?gemini", re.IGNORECASE), "google"),
    (re.compile(r"^(gpt|o1|o3|o4|chatgpt)([-.]|$)", re.IGNORECASE), "openai"),
    (re.compile(r"^claude", re.IGNORECASE), "anthropic"),
)


def provider_for_model(model: str, explicit: str | None = None) -> str:
    """The provider serving ``model``: ``explicit`` if given, else told from the name.

    Raises:
        ProviderError: ``explicit`` is not a known provider, or the name gives no provider.
    """
    if explicit:
        if explicit not in PROVIDERS:
            raise ProviderError(
                f"unknown provider {explicit!r}", hint=f"use one of {', '.join(PROVIDERS)}"
            )
        return explicit
    for pattern, provider in _BY_PREFIX:
        if pattern.match(model.strip()):
            return provider
    raise ProviderError(
        f"can't tell the provider of model {model!r}",
        hint=f"pass --provider ({', '.join(PROVIDERS)})",
    )
