"""Each row of the README's bad-input table: one clear line, the documented exit code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from webarena_isolation.cli import app

ROOT = Path(__file__).resolve().parents[2]


def readme_rows():
    text = (ROOT / "README.md").read_text()
    section = text.split("### Bad input", 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2].isdigit():
            command = cells[0].strip("`")
            needles = re.findall(r"`([^`]+)`", cells[1])
            rows.append(pytest.param(command, needles, int(cells[2]), id=command))
    return rows


ROWS = readme_rows()


def test_the_table_is_there():
    assert len(ROWS) >= 12


@pytest.mark.parametrize(("command", "needles", "exit_code"), ROWS)
def test_bad_input_row(command, needles, exit_code, client, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    words = shlex.split(command)
    env = {}
    while words and "=" in words[0] and not words[0].startswith("-"):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    result = CliRunner().invoke(app, [*words, "--results-dir", str(tmp_path)]
                                if words[0] == "run" else words, env=env)
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == exit_code, result.output
    for needle in needles:
        assert needle in output, (needle, result.output)
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir()), "bad input must not start a run"
