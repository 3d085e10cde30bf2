"""Integration fixtures: a real Docker engine (a missing one fails, never skips)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from webarena_isolation import engine
from webarena_isolation.catalog import load_catalog
from webarena_isolation.cleanup import remove_leftovers
from webarena_isolation.environment import work_root
from webarena_isolation.images import ensure_base_image, ensure_standin_image
from webarena_isolation.runner import new_run_id


@pytest.fixture(scope="session")
def client() -> docker.DockerClient:
    """The engine; `scripts/setup.sh` starts it. If it doesn't answer, that's a failure."""
    connected = engine.connect()
    ensure_base_image(connected)
    ensure_standin_image(connected)
    return connected


@pytest.fixture(scope="session")
def catalog():
    return load_catalog("demo")


def leftovers_of(client: docker.DockerClient, run_id: str) -> dict[str, list[str]]:
    """What a run left: containers, networks (by label) and its private folder."""
    label = {"label": [f"{engine.LABEL_RUN}={run_id}"]}
    return {
        "containers": [c["Names"][0] for c in client.api.containers(all=True, filters=label)],
        "networks": [n.name for n in client.networks.list(filters=label)],
        "folders": [str(work_root() / run_id)] if (work_root() / run_id).exists() else [],
    }


@pytest.fixture
def run_id(client) -> Iterator[str]:
    """A fresh run id; after the test, asserts the run left nothing behind."""
    rid = new_run_id()
    yield rid
    left = leftovers_of(client, rid)
    remove_leftovers(client, rid)
    assert left == {"containers": [], "networks": [], "folders": []}, left


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch):
    # Tests must never inherit a user's remote engine or real API keys.
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert not os.environ.get("DOCKER_HOST", "").startswith("tcp://"), "tests use local engine"


@pytest.fixture
def results(tmp_path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    return folder
