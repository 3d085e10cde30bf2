"""Parsing the model's actions and trimming observations (pure logic)."""

from __future__ import annotations

import pytest

from webarena_isolation.agents.actions import Action, ActionParseError, parse_action
from webarena_isolation.agents.observation import Observation, estimate_tokens, trim_to_budget


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"action": "click", "ref": "e12"}', Action("click", ref="e12")),
        ('Sure!\n```json\n{"action": "type", "ref": "e7", "text": "hello", "submit": true}\n```',
         Action("type", ref="e7", text="hello", submit=True)),
        ('{"action": "select", "ref": "e9", "option": "Pending"}',
         Action("select", ref="e9", option="Pending")),
        ('{"action": "goto", "url": " http://127.0.0.1:5/x "}',
         Action("goto", url="http://127.0.0.1:5/x")),
        ('{"action": "GO_BACK"}', Action("go_back")),
        ('{"action": "scroll", "direction": "Up"}', Action("scroll", direction="up")),
        ('{"thought": "done", "action": "stop", "answer": 346}',
         Action("stop", answer="346", thought="done")),
        ('{"action": "stop"}', Action("stop", answer="")),
    ],
)
def test_valid_actions(reply, expected):
    assert parse_action(reply) == expected


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        ("I will click the button", "no JSON object"),
        ('{"action": "hover", "ref": "e1"}', "unknown action"),
        ('{"action": "click"}', "needs a string 'ref'"),
        ('{"action": "click", "ref": "#submit"}', "not an element ref"),
        ('{"action": "type", "ref": "e2"}', "needs a string 'text'"),
        ('{"action": "scroll", "direction": "left"}', "not up or down"),
        ('[1, 2] {"oops": ', "no JSON object"),
    ],
)
def test_invalid_actions_say_why(reply, says):
    with pytest.raises(ActionParseError, match=says):
        parse_action(reply)


def test_descriptions_are_one_line():
    assert Action("type", ref="e1", text='a "b"', submit=True).describe() == (
        'type e1 "a \\"b\\"" + Enter')
    assert Action("stop", answer="42").describe() == 'stop "42"'


def test_trim_keeps_whole_lines_within_budget():
    text = "\n".join(f"- link \"item {i}\" [ref=e{i}]" for i in range(200))
    kept, dropped = trim_to_budget(text, 100)
    assert estimate_tokens(kept) <= 100
    assert kept.splitlines()[0] == text.splitlines()[0]
    assert dropped == 200 - len(kept.splitlines()) and dropped > 0
    assert trim_to_budget("short", 100) == ("short", 0)


def test_observation_text_says_what_was_cut():
    text = Observation("http://127.0.0.1:1/", "T", "- button", trimmed_lines=7).text()
    assert text.startswith("URL: http://127.0.0.1:1/\nTitle: T")
    assert "7 more lines not shown" in text
