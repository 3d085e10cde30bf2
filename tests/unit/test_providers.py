"""Telling providers from model names."""

import pytest

from webarena_isolation.errors import ProviderError
from webarena_isolation.providers import provider_for_model


@pytest.mark.parametrize(
    ("model", "provider"),
    [("gemini-2.5-pro", "google"), ("gpt-4o", "openai"), ("o3-mini", "openai"),
     ("o1", "openai"), ("o4-mini", "openai"), ("claude-sonnet-4", "anthropic")],
)
def test_known_names(model, provider):
    assert provider_for_model(model) == provider


def test_unknown_name_asks_for_provider():
    with pytest.raises(ProviderError, match="pass --provider"):
        provider_for_model("llama-3-70b")
    assert provider_for_model("llama-3-70b", "openai-compatible") == "openai-compatible"


def test_bad_explicit_provider():
    with pytest.raises(ProviderError, match="unknown provider 'azure'"):
        provider_for_model("gpt-4o", "azure")
