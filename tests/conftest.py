"""Shared fixtures: the real engine, the local images, and a check that nothing is left."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    # Everything under tests/integration needs the real engine and Chromium.
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)
