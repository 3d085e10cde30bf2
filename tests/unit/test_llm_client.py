"""The chat client, keys, prices and agent choice: real HTTP to a scripted server on 127.0.0.1."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.integration.agents.scripted_model import Failure, ScriptedModel
from webarena_isolation.agents.llm import LlmAgent
from webarena_isolation.agents.llm_client import (
    ChatClient,
    ChatError,
    Usage,
    resolve_endpoint,
)
from webarena_isolation.agents.offline import OfflineAgent
from webarena_isolation.agents.pricing import cost_usd, price_of
from webarena_isolation.agents.selection import choose_agent
from webarena_isolation.cli import app
from webarena_isolation.errors import AgentError, ProviderError, UsageError

SECRET = "sk-test-do-not-leak-4242"
KEYS = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY")


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch):
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("provider", "variable", "base"),
    [("google", "GEMINI_API_KEY", "generativelanguage.googleapis.com"),
     ("google", "GOOGLE_API_KEY", "generativelanguage.googleapis.com"),
     ("anthropic", "ANTHROPIC_API_KEY", "api.anthropic.com"),
     ("openai", "OPENAI_API_KEY", None)],
)
def test_each_provider_reads_its_own_key(provider, variable, base):
    endpoint = resolve_endpoint(provider, environ={variable: SECRET})
    assert endpoint.key_variable == variable and endpoint.api_key == SECRET
    assert (endpoint.base_url is None) if base is None else (base in endpoint.base_url)
    assert SECRET not in repr(endpoint)


def test_missing_key_names_the_variables():
    with pytest.raises(AgentError) as caught:
        resolve_endpoint("google", environ={})
    assert "GEMINI_API_KEY or GOOGLE_API_KEY" in str(caught.value)
    assert "--api-base" in str(caught.value)


def test_local_server_needs_no_key_and_compatible_needs_a_base():
    endpoint = resolve_endpoint("openai-compatible", api_base="http://127.0.0.1:8000/v1",
                                environ={})
    assert endpoint.custom_base and endpoint.key_variable is None
    assert endpoint.base_url == "http://127.0.0.1:8000/v1/"
    with pytest.raises(ProviderError, match="--api-base"):
        resolve_endpoint("openai-compatible", environ={})


def test_prices_known_dated_and_unknown():
    assert price_of("gemini-2.5-pro") == (1.25, 10.0)
    assert price_of("claude-sonnet-4-20250514") == (3.0, 15.0)
    assert price_of("gpt-4o-mini") == (0.15, 0.6)
    assert price_of("o3-pro") is None and price_of("llama3.1:8b") is None
    assert cost_usd("gemini-2.5-pro", 1_000_000, 100_000) == pytest.approx(2.25)
    assert cost_usd("gemini-2.5-pro", 1000, 10, custom_base=True) is None
    assert Usage(prompt_tokens=5).to_json(None)["cost_usd"] is None


def test_rate_limits_are_retried_with_backoff_then_counted():
    calls = []

    def script(body):
        calls.append(body)
        if len(calls) <= 2:
            return Failure(429, {"Retry-After": "0.05"}) if len(calls) == 1 else Failure(503)
        return '{"action": "stop", "answer": "42"}'

    waits = []
    with ScriptedModel(script) as server:
        endpoint = resolve_endpoint("openai-compatible", api_base=server.url,
                                    environ={"OPENAI_API_KEY": SECRET})
        client = ChatClient(endpoint, model="scripted", backoff_s=0.01, sleep=waits.append)
        reply = client.complete([{"role": "user", "content": "x" * 400}])
    assert reply.text == '{"action": "stop", "answer": "42"}'
    assert reply.retries == 2 and reply.prompt_tokens == 100
    assert waits == [pytest.approx(0.05), pytest.approx(0.02)]  # Retry-After, then doubled
    assert server.requests[0]["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in repr(client)


def test_retries_are_bounded():
    with ScriptedModel(lambda body: Failure(429)) as server:
        endpoint = resolve_endpoint("openai-compatible", api_base=server.url, environ={})
        client = ChatClient(endpoint, model="m", max_attempts=3, sleep=lambda s: None)
        with pytest.raises(ChatError, match="after 3 attempts"):
            client.complete([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 3


def test_auth_failure_is_not_retried_and_names_the_key():
    with ScriptedModel(lambda body: Failure(401)) as server:
        endpoint = resolve_endpoint("openai", api_base=server.url,
                                    environ={"OPENAI_API_KEY": SECRET})
        client = ChatClient(endpoint, model="gpt-4o", sleep=lambda s: None)
        with pytest.raises(ChatError) as caught:
            client.complete([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 1
    assert "check OPENAI_API_KEY" in str(caught.value) and SECRET not in str(caught.value)


def test_agent_choice_rules():
    auto_off = choose_agent("auto", agent_cmd=None, model="gemini-2.5-pro", provider="google",
                            environ={})
    assert isinstance(auto_off.agent, OfflineAgent) and auto_off.judge is None
    assert "GEMINI_API_KEY" in auto_off.note and "not scored" in auto_off.note
    auto_on = choose_agent("auto", agent_cmd=None, model="gemini-2.5-pro", provider="google",
                           environ={"GEMINI_API_KEY": SECRET})
    assert isinstance(auto_on.agent, LlmAgent) and auto_on.judge is not None
    assert SECRET not in auto_on.note
    local = choose_agent("auto", agent_cmd=None, model="qwen", provider="openai-compatible",
                         api_base="http://127.0.0.1:9/v1", environ={})
    assert isinstance(local.agent, LlmAgent)
    forced = choose_agent("offline", agent_cmd=None, model="gpt-4o", provider="openai",
                          environ={"OPENAI_API_KEY": SECRET})
    assert isinstance(forced.agent, OfflineAgent)
    command = choose_agent("auto", agent_cmd="echo hi", model="gpt-4o", provider="openai",
                           environ={})
    assert command.agent.name == "command" and command.judge is None
    with pytest.raises(AgentError):
        choose_agent("llm", agent_cmd=None, model="gpt-4o", provider="openai", environ={})
    with pytest.raises(UsageError):
        choose_agent("llm", agent_cmd="echo hi", model="gpt-4o", provider="openai",
                     environ={"OPENAI_API_KEY": SECRET})


def test_cli_missing_key_fails_before_anything_starts(tmp_path):
    # No engine is touched: the key is checked before engine.connect(), and no folder is made.
    result = CliRunner().invoke(
        app,
        ["run", "--tasks", "78", "--model", "gemini-2.5-pro", "--agent", "llm",
         "--results-dir", str(tmp_path / "r")],
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "GEMINI_API_KEY or GOOGLE_API_KEY" in result.output
    assert "does not answer" not in result.output
    assert not (tmp_path / "r").exists()
