"""Reading notebooks gives clear errors; the lab structure is found from metadata."""

from __future__ import annotations

import json

import pytest

from autograder.errors import NotebookError
from autograder.notebooks import (
    exercises,
    fill_answers,
    hint_levels,
    parse_notebook,
    read_notebook,
    solution_code,
    strip_hidden_tests,
)
from tests.conftest import TOY

TOY_NB = TOY / "solutions" / "lab01-toy" / "toy.ipynb"


@pytest.mark.parametrize("raw,words", [
    (b'{"cells": [', "not valid notebook JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"hello": 1}', "not a notebook"),
    (b"[1, 2]", "not a notebook"),
    (json.dumps({"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}).encode(),
     "version 3"),
    (json.dumps({"cells": [{"cell_type": "nonsense"}], "metadata": {}, "nbformat": 4,
                 "nbformat_minor": 5}).encode(), "not a valid notebook"),
])
def test_bad_notebooks_raise_clear_errors(raw, words):
    with pytest.raises(NotebookError, match=words):
        parse_notebook(raw, "sub.ipynb")


def test_missing_file(tmp_path):
    with pytest.raises(NotebookError, match="does not exist"):
        read_notebook(tmp_path / "nope.ipynb")


def test_exercises_hints_and_points_come_from_metadata():
    found = exercises(read_notebook(TOY_NB))
    assert [e.id for e in found] == ["ex01", "ex02", "ex03"]
    assert [e.points for e in found] == [2, 3, 1]
    assert found[1].skills == ["python", "software-engineering"]
    assert [t.grade_id for t in found[1].tests] == ["ex02-tests", "ex02-tests-b"]
    assert [title for title, _ in found[0].hints] == ["💡 Hint 1", "💡 Hint 2"]


def test_hidden_tests_and_solutions_are_stripped():
    source = "a = 1\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\nb = 2\n"
    assert "secret" not in strip_hidden_tests(source)
    assert "b = 2" in strip_hidden_tests(source)
    answer = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    assert solution_code(answer) == "def f():\n    return 1\n"
    assert hint_levels("<details><summary>A</summary>one</details>x<details>"
                       "<summary>B</summary>two</details>") == [("A", "one"), ("B", "two")]


def test_fill_answers_uses_the_solution_except_overrides():
    source = read_notebook(TOY_NB)
    filled = fill_answers(source, source, {"ex01-answer": "def add(a, b):\n    return 0"})
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in filled.cells}
    assert cells["ex01-answer"] == "def add(a, b):\n    return 0"
    assert "BEGIN SOLUTION" not in cells["ex02-answer"]
    with pytest.raises(KeyError, match="no answer cells"):
        fill_answers(source, source, {"ex09-answer": ""})
