"""WebArena's evaluation rules on answers and URLs (pure logic; the live-site part is in
tests/integration/test_llm_agent.py)."""

from __future__ import annotations

import pytest

from tests.integration.agents.scripted_model import ScriptedModel, last_user_message
from webarena_isolation.agents.llm_client import ChatClient, resolve_endpoint
from webarena_isolation.evaluation import LlmJudge, evaluate_task
from webarena_isolation.evaluation.checks import Check, combine
from webarena_isolation.evaluation.program_html import (
    reddit_post_url,
    run_program_html,
    target_url,
)
from webarena_isolation.evaluation.strings import clean_answer, exact_match, must_include
from webarena_isolation.evaluation.urls import url_matches
from webarena_isolation.tasks import load_task_pool

POOL = load_task_pool()


def test_clean_answer_strips_quotes_and_case():
    assert clean_answer('  "Quest Lumaflex Band" ') == "quest lumaflex band"
    assert clean_answer("'it's'") == "it's"


def test_exact_and_must_include():
    assert exact_match("Quest Lumaflex™ Band", "quest lumaflex™ band")
    assert not exact_match("346", "346 reviews")
    assert must_include("346", "There are 346 approved reviews.", tokenize=True)
    # A lone one-word reference is matched as a token: "0" is not inside "10".
    assert not must_include("0", "10 reviews", tokenize=True)
    assert must_include("0", "10 reviews", tokenize=False)
    assert must_include("3.5", "rated 3.5 stars", tokenize=True)


def test_url_match_gold_in_pred():
    ref = "http://127.0.0.1:5/dashboard/todos"
    assert url_matches(ref, "http://127.0.0.1:5/dashboard/todos/")
    assert url_matches(ref, "http://127.0.0.1:5/dashboard/todos?sort=new")
    assert not url_matches(ref, "http://127.0.0.1:6/dashboard/todos")
    assert url_matches("http://h:1/search?q=cat", "http://h:1/search?page=2&q=cat")
    assert not url_matches("http://h:1/search?q=cat", "http://h:1/search?q=dog")
    assert url_matches("http://h:1/a |OR| http://h:1/b", "http://h:1/b/c")


def test_reddit_post_url_helper():
    assert reddit_post_url("http://h:1/f/books/12/some-title/comment") == "http://h:1/f/books/12/"
    assert reddit_post_url("http://h:1/forums/all") == "http://h:1/forums/all"
    assert target_url("func:reddit_get_post_url('__last_url__')", "http://h:1/f/a/3/x") == (
        "http://h:1/f/a/3/", "")
    url, why = target_url("func:shopping_get_latest_order_url()", "http://h:1/")
    assert url is None and "not supported" in why
    assert target_url("last", None) == (None, "the agent reported no final URL")


def test_combine_one_failure_is_zero_and_undecided_is_none():
    ok = Check("string_match", "must_include", "a", "a", True)
    bad = Check("url_match", "GOLD in PRED", "u", "v", False)
    unknown = Check("string_match", "fuzzy_match", "a", "b", None, "needs an LLM judge")
    assert combine([ok]) == (1.0, "all 1 check(s) passed")
    assert combine([ok, unknown, bad])[0] == 0.0
    score, reason = combine([ok, unknown])
    assert score is None and "needs an LLM judge" in reason
    assert combine([])[0] is None


def test_real_task_78_scores_its_string_match():
    config = POOL[78]  # must_include ["346"]
    assert evaluate_task(config, answer="346", last_url=None).score == 1.0
    wrong = evaluate_task(config, answer="345", last_url=None)
    assert wrong.score == 0.0 and "expected '346'" in wrong.reason
    none = evaluate_task(config, answer=None, last_url=None)
    assert none.score == 0.0 and "no answer" in none.reason


def test_real_task_44_url_match_and_missing_url():
    config = {**POOL[44], "eval": {**POOL[44]["eval"],
                                   "reference_url": "http://127.0.0.1:7/dashboard/todos"}}
    assert evaluate_task(config, answer="", last_url="http://127.0.0.1:7/dashboard/todos")\
        .score == 1.0
    assert evaluate_task(config, answer="", last_url="http://127.0.0.1:7/").score == 0.0
    unknown = evaluate_task(config, answer="", last_url=None)
    assert unknown.score is None and "no final URL" in unknown.reason


def test_fuzzy_match_without_judge_is_not_scored_but_identical_passes():
    config = POOL[80]  # fuzzy_match ["38 min"]
    assert evaluate_task(config, answer="38 min", last_url=None).score == 1.0
    result = evaluate_task(config, answer="about 38 minutes", last_url=None)
    assert result.score is None and "LLM judge" in result.reason


def test_fuzzy_match_with_a_judge_over_http():
    def script(body):
        text = last_user_message(body)
        return "correct" if "38 minutes" in text else "incorrect"

    with ScriptedModel(script) as server:
        endpoint = resolve_endpoint("openai-compatible", api_base=server.url, environ={})
        judge = LlmJudge(ChatClient(endpoint, model="judge"))
        good = evaluate_task(POOL[80], answer="about 38 minutes", last_url=None, judge=judge)
        bad = evaluate_task(POOL[80], answer="2 hours", last_url=None, judge=judge)
    assert good.score == 1.0 and bad.score == 0.0
    assert good.judge_usage["requests"] == 1
    assert "Reference answer: 38 min" in last_user_message(server.requests[0]["body"])


def test_na_answers_for_unachievable_tasks():
    config = {"intent": "x", "eval": {"eval_types": ["string_match"],
                                      "reference_answers": {"fuzzy_match": "N/A"},
                                      "string_note": "no such product"}}
    assert evaluate_task(config, answer="N/A", last_url=None).score == 1.0
    assert evaluate_task(config, answer="It is 5", last_url=None).score is None


@pytest.mark.parametrize("bad_type", ["screenshot_match"])
def test_unknown_eval_type_is_not_scored(bad_type):
    config = {"eval": {"eval_types": [bad_type]}}
    result = evaluate_task(config, answer="a", last_url=None)
    assert result.score is None and "unknown evaluation type" in result.reason


def test_program_html_targets_that_cannot_be_read_need_no_browser():
    targets = [
        {"url": "last", "locator": "", "required_contents": {"must_include": ["a", "b"]}},
        {"url": "func:shopping_get_latest_order_url()", "locator": "document.title",
         "required_contents": {"exact_match": "x"}},
    ]
    checks = run_program_html(targets, last_url=None, storage_state=None)
    assert [(c.rule, c.expected, c.passed) for c in checks] == [
        ("must_include", "a", None), ("must_include", "b", None), ("exact_match", "x", None)]
    assert "no final URL" in checks[0].reason and "not supported" in checks[2].reason
