"""The cohort report's arithmetic on a made-up cohort whose answers we know."""

from __future__ import annotations

import re

import pytest

from autograder.instructor_report import cohort_stats, load_results, render, save_result
from autograder.results import CellResult, ExerciseResult, GradeResult


def _ex(ex_id: str, got: float, points: float = 2, message: str = "wrong value") -> ExerciseResult:
    status = "passed" if got >= points else "partial" if got else "failed"
    return ExerciseResult(ex_id, ex_id.upper(), [], [CellResult(
        f"{ex_id}-tests", got, points, status, "" if status == "passed" else message)])


def _student(name: str, base: float, blocker: float, backwards: float, *, status="graded",
             seconds=1.0) -> GradeResult:
    """``base`` and ``steady`` are long exercises that set the ranking; ``blocker`` nobody
    passes; ``backwards`` is passed by the weakest learners only."""
    exercises = [_ex("base", base, 10), _ex("steady", base, 10),
                 _ex("blocker", blocker, message="KeyError: 'id'"), _ex("backwards", backwards)]
    return GradeResult(name, "lab09", sum(e.points for e in exercises), 24, status, "msg",
                       exercises, seconds=seconds)


@pytest.fixture
def cohort():
    return [_student("ann", 10, 0, 0, seconds=3), _student("ben", 8, 0, 0, seconds=9),
            _student("cat", 6, 1, 2), _student("dan", 3, 0, 2, status="timeout", seconds=60),
            _student("eve", 1, 0, 2),
            GradeResult("fay", "lab09", 0, 24, "invalid", "not valid notebook JSON")]


def test_pass_rates_and_the_scored_students(cohort):
    stats = cohort_stats(cohort)
    assert (stats.students, stats.scored) == (6, 5)  # fay's notebook never ran
    by_id = {e.id: e for e in stats.exercises}
    assert by_id["base"].pass_rate == pytest.approx(1 / 5)
    assert by_id["backwards"].pass_rate == pytest.approx(3 / 5)
    assert stats.mean == pytest.approx((20 + 16 + 15 + 8 + 4) / 5)


def test_discrimination_and_notes_point_at_broken_exercises(cohort):
    by_id = {e.id: e for e in cohort_stats(cohort).exercises}
    assert by_id["base"].discrimination > 0.5
    assert "nobody passed" in by_id["blocker"].note
    assert by_id["blocker"].failures == [("KeyError: 'id'", 5)]  # cat's partial says so too
    assert by_id["backwards"].discrimination < 0
    assert "do worse here" in by_id["backwards"].note


def test_attention_lists_and_slowest(cohort):
    stats = cohort_stats(cohort)
    assert stats.attention == {"timeout": [("dan", "msg")],
                               "invalid": [("fay", "not valid notebook JSON")]}
    assert [s for s, _, _ in stats.slowest[:2]] == ["dan", "ben"]


def test_the_page_is_self_contained(cohort, tmp_path):
    for result in cohort:
        save_result(tmp_path, result)
    stats = cohort_stats(load_results(tmp_path, "lab09"))
    assert stats.students == 6  # every saved result comes back
    page = render(stats, title="Lab 9")
    assert "data:image/png;base64," in page
    assert not re.search(r"(src|href)=['\"]?https?:", page)  # opens offline
    assert "nobody passed" in page and "fay" in page
