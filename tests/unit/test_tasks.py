"""Parsing --tasks and loading the real task configs."""

import json

import pytest

from webarena_isolation.errors import TaskSelectionError
from webarena_isolation.tasks import load_task_pool, parse_selection, select_tasks


@pytest.mark.parametrize(
    ("text", "ids"),
    [("78", [78]), ("78,79,80", [78, 79, 80]), ("78-82", [78, 79, 80, 81, 82]),
     ("1,5-7", [1, 5, 6, 7]), (" 80 , 78 ", [78, 80]), ("5-5,5", [5])],
)
def test_accepted_forms(text, ids):
    assert parse_selection(text) == ids


@pytest.mark.parametrize(
    ("text", "says"),
    [("78-", "not a task id or a range"), ("a,b", "not a task id or a range"),
     ("82-78", "runs backwards"), ("", "empty item"), ("78,,79", "empty item"),
     ("-3", "not a task id or a range")],
)
def test_rejected_forms_name_the_accepted_ones(text, says):
    with pytest.raises(TaskSelectionError) as caught:
        parse_selection(text)
    assert says in str(caught.value)
    assert "accepted forms" in str(caught.value)
    assert caught.value.exit_code == 2


def test_real_dataset_has_812_tasks_and_task_78():
    pool = load_task_pool()
    assert len(pool) == 812
    assert pool[78]["sites"] == ["shopping_admin"]
    assert pool[78]["start_url"] == "__SHOPPING_ADMIN__"


def test_unknown_id_is_refused():
    with pytest.raises(TaskSelectionError, match=r"unknown task id\(s\): 812-900;"):
        select_tasks("810-900", load_task_pool())


def test_config_files_directory(tmp_path):
    for task_id in (3, 4):
        (tmp_path / f"{task_id}.json").write_text(json.dumps({"task_id": task_id, "sites": []}))
    (tmp_path / "test.raw.json").write_text("[]")  # not an <id>.json: ignored
    assert sorted(load_task_pool(str(tmp_path))) == [3, 4]


def test_missing_source(tmp_path):
    with pytest.raises(TaskSelectionError, match="does not exist"):
        load_task_pool(str(tmp_path / "nope"))


def test_compact_ids_round_trips():
    from webarena_isolation.tasks import compact_ids

    ids = [1, 2, 3, 7, 9, 10]
    assert compact_ids(ids) == "1-3,7,9-10"
    assert parse_selection(compact_ids(ids)) == ids
