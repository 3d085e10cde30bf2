"""One chat client for every provider: the official ``openai`` SDK on each provider's
OpenAI-compatible endpoint (OpenAI itself, Gemini, Anthropic, or any ``--api-base`` such as vLLM
or ollama).

The API key is read from the provider's environment variable and held only by the SDK client; it
is never logged, never part of a repr and never written to results.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import openai

from webarena_isolation.errors import AgentError, ProviderError

logger = logging.getLogger(__name__)

# Each hosted provider's OpenAI-compatible endpoint; ``None`` is the SDK's own default (OpenAI).
PROVIDER_BASE_URLS: dict[str, str | None] = {
    "google": "https://generativelanguage.googleapis.com/v1beta/openai/",
    "openai": None,
    "anthropic": "https://api.anthropic.com/v1/",
}

# Where each provider's key is looked up, in order.
KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "openai-compatible": ("OPENAI_API_KEY",),
}

# A local server (vLLM, ollama) accepts any key, but the SDK refuses to start without one.
_LOCAL_PLACEHOLDER_KEY = "not-needed"

_RETRYABLE = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APIConnectionError,
    openai.APITimeoutError,
)


@dataclass(frozen=True)
class Endpoint:
    """Where a model is served and with which credentials.

    Attributes:
        provider: ``google``, ``openai``, ``anthropic`` or ``openai-compatible``.
        base_url: the OpenAI-compatible base URL, or ``None`` for OpenAI's own.
        key_variable: the environment variable the key came from (``None``: no key needed).
        custom_base: True when the user gave ``--api-base`` (cost is then unknown).
    """

    provider: str
    base_url: str | None
    key_variable: str | None
    custom_base: bool
    api_key: str = field(repr=False, compare=False)


def credentials_available(
    provider: str, *, api_base: str | None = None, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether :func:`resolve_endpoint` would succeed without raising."""
    try:
        resolve_endpoint(provider, api_base=api_base, environ=environ)
    except (AgentError, ProviderError):
        return False
    return True


def resolve_endpoint(
    provider: str, *, api_base: str | None = None, environ: Mapping[str, str] | None = None
) -> Endpoint:
    """The endpoint and key for ``provider``; checked before any container starts.

    Args:
        provider: one of :data:`KEY_VARIABLES`.
        api_base: an OpenAI-compatible base URL (``http://127.0.0.1:8000/v1``); no key needed.
        environ: where keys are read from (default ``os.environ``).

    Raises:
        ProviderError: ``openai-compatible`` without ``api_base``, or an unknown provider.
        AgentError: a hosted provider's key is not set.
    """
    env = os.environ if environ is None else environ
    if provider not in KEY_VARIABLES:
        raise ProviderError(f"unknown provider {provider!r}", hint="see --provider")
    names = KEY_VARIABLES[provider]
    found = next((name for name in names if env.get(name, "").strip()), None)
    if api_base:
        key = env[found].strip() if found else _LOCAL_PLACEHOLDER_KEY
        return Endpoint(provider, api_base.rstrip("/") + "/", found, True, key)
    if provider == "openai-compatible":
        raise ProviderError(
            "provider openai-compatible needs a server address",
            hint="pass --api-base, e.g. http://127.0.0.1:8000/v1 (vLLM) or "
            "http://127.0.0.1:11434/v1 (ollama)",
        )
    if not found:
        raise AgentError(
            f"no API key for provider {provider}: set {' or '.join(names)}",
            hint="export the key, pass --api-base for a local server, or use --agent offline",
        )
    return Endpoint(provider, PROVIDER_BASE_URLS[provider], found, False, env[found].strip())


@dataclass(frozen=True)
class ChatReply:
    """One model answer and what it cost in tokens and retries."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    retries: int


@dataclass
class Usage:
    """Token counts of one task's model calls (thread-local to the task, summed by it)."""

    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, reply: ChatReply) -> None:
        """Count one reply."""
        self.requests += 1
        self.retries += reply.retries
        self.prompt_tokens += reply.prompt_tokens
        self.completion_tokens += reply.completion_tokens

    def to_json(self, cost_usd: float | None) -> dict[str, Any]:
        """A JSON-ready dict with the cost (``None`` when the price is unknown)."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cost_usd": cost_usd,
        }


class ChatError(AgentError):
    """A model call failed for good (after the retries, or a non-retryable error)."""


class ChatClient:
    """Chat completions for one model, with bounded retries on 429, 5xx and lost connections.

    Safe to share between task threads: it keeps no per-task state.

    Args:
        endpoint: from :func:`resolve_endpoint`.
        model: the model name as the provider spells it.
        max_attempts: calls per request, the first included.
        backoff_s: the first wait; doubled after each retry, capped at ``max_backoff_s``.
        timeout_s: one HTTP request's timeout.
        sleep: how to wait (tests pass a recorder).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        model: str,
        max_attempts: int = 5,
        backoff_s: float = 2.0,
        max_backoff_s: float = 30.0,
        timeout_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self.model = model
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._sleep = sleep
        # The SDK's own retries are off so that every retry is bounded and counted here.
        self._sdk = openai.OpenAI(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            max_retries=0,
            timeout=timeout_s,
        )

    def __repr__(self) -> str:
        return f"ChatClient(provider={self.endpoint.provider!r}, model={self.model!r})"

    def complete(self, messages: list[dict[str, str]]) -> ChatReply:
        """Send ``messages`` and return the reply text and its token counts.

        Raises:
            ChatError: the call failed after the retries, or failed in a way retrying can't fix
                (bad key, unknown model, malformed request).
        """
        retries = 0
        while True:
            try:
                response = self._sdk.chat.completions.create(model=self.model, messages=messages)
                break
            except _RETRYABLE as exc:
                if retries + 1 >= self.max_attempts:
                    raise ChatError(
                        f"model {self.model} ({self.endpoint.provider}) still failing after "
                        f"{retries + 1} attempts: {_describe(exc)}",
                        hint="wait and rerun, or lower --max-workers to stay under rate limits",
                    ) from None
                wait_s = self._wait_s(exc, retries)
                logger.warning(
                    "model call failed (%s); retry %d in %.1f s",
                    _describe(exc),
                    retries + 1,
                    wait_s,
                )
                self._sleep(wait_s)
                retries += 1
            except openai.APIStatusError as exc:
                raise ChatError(
                    f"model {self.model} ({self.endpoint.provider}) refused the request: "
                    f"{_describe(exc)}",
                    hint=_status_hint(exc.status_code, self.endpoint),
                ) from None
            except openai.OpenAIError as exc:
                raise ChatError(f"model {self.model} call failed: {_describe(exc)}") from None
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content if choice and choice.message else None) or ""
        usage = response.usage
        return ChatReply(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            retries=retries,
        )

    def _wait_s(self, exc: Exception, retries: int) -> float:
        wait_s = min(self.max_backoff_s, self.backoff_s * (2**retries))
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        if header:
            try:
                wait_s = min(self.max_backoff_s, max(0.0, float(header)))
            except ValueError:
                pass
        return wait_s


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    first_line = (str(exc).splitlines() or [""])[0][:200]
    return f"{name} {status}: {first_line}" if status else f"{name}: {first_line}"


def _status_hint(status: int, endpoint: Endpoint) -> str:
    if status in (401, 403):
        variable = endpoint.key_variable or "the key"
        return f"check {variable}"
    if status == 404:
        return "check the model name (--model) and --api-base"
    return "see the provider's message above"
