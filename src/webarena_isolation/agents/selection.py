"""Which agent a run uses, decided before any container starts.

The rule (``--agent``):

- ``--agent-cmd CMD`` runs the user's command; ``--agent`` must then be left at ``auto``.
- ``llm``: the built-in LLM agent; the provider's key (or ``--api-base``) must be there.
- ``offline``: the built-in offline agent (isolation check, no model, not scored).
- ``auto`` (default): ``llm`` when the model's key or ``--api-base`` is there, else ``offline``,
  and the run says so in one line, so nobody mistakes an offline run for a model's score.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from webarena_isolation.agents.base import Agent
from webarena_isolation.agents.command import CommandAgent
from webarena_isolation.agents.llm import LlmAgent
from webarena_isolation.agents.llm_client import (
    KEY_VARIABLES,
    ChatClient,
    credentials_available,
    resolve_endpoint,
)
from webarena_isolation.agents.offline import OfflineAgent
from webarena_isolation.errors import UsageError
from webarena_isolation.evaluation.judge import LlmJudge

AGENT_CHOICES = ("auto", "llm", "offline")


@dataclass(frozen=True)
class AgentChoice:
    """The agent, the fuzzy-answer judge (if a model is reachable) and why it was chosen."""

    agent: Agent
    judge: LlmJudge | None
    note: str


def choose_agent(
    choice: str,
    *,
    agent_cmd: str | None,
    model: str,
    provider: str,
    api_base: str | None = None,
    max_steps: int = 30,
    environ: Mapping[str, str] | None = None,
) -> AgentChoice:
    """Build the run's agent from the command line (see module docstring).

    Raises:
        UsageError: an unknown ``--agent``, or ``--agent`` together with ``--agent-cmd``.
        AgentError: ``llm`` was asked for but the provider's key is missing.
        ProviderError: ``openai-compatible`` without ``--api-base``.
    """
    env = os.environ if environ is None else environ
    if choice not in AGENT_CHOICES:
        raise UsageError(f"unknown --agent {choice!r}", hint=f"use {', '.join(AGENT_CHOICES)}")
    if agent_cmd and choice != "auto":
        raise UsageError(
            f"--agent {choice} and --agent-cmd both name an agent", hint="give only one of them"
        )
    reachable = credentials_available(provider, api_base=api_base, environ=env)
    client = None
    if choice == "llm" or (choice != "offline" and reachable):
        endpoint = resolve_endpoint(provider, api_base=api_base, environ=env)
        client = ChatClient(endpoint, model=model)
    judge = LlmJudge(client) if client is not None else None
    if agent_cmd:
        return AgentChoice(CommandAgent(agent_cmd), judge, f"agent: your command ({agent_cmd})")
    if client is not None:
        where = api_base or provider
        return AgentChoice(
            LlmAgent(client, max_steps=max_steps), judge, f"agent: llm ({model} via {where})"
        )
    if choice == "offline":
        return AgentChoice(OfflineAgent(), None, "agent: offline (isolation check, not scored)")
    names = " or ".join(KEY_VARIABLES.get(provider, ()))
    return AgentChoice(
        OfflineAgent(),
        None,
        f"agent: offline — no {names} set and no --api-base, so no model runs and tasks are "
        "not scored; set the key or pass --agent llm",
    )
