"""The learner's progress store: robust to a missing, damaged or odd file (nothing is lost),
and `mle progress --markdown` claims only what the store holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder import progress
from autograder.cli import app
from autograder.course import Course
from autograder.results import CellResult, ExerciseResult, GradeResult
from autograder.settings import Settings
from tests.conftest import REPO


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Course:
    monkeypatch.setenv("MLE_ROOT", str(REPO))
    monkeypatch.setenv("MLE_STATE_DIR", str(tmp_path / "state"))
    return Course(Settings(root=REPO, state_dir=tmp_path / "state"))


def _lab1(score: float) -> GradeResult:
    """A Lab 1 check result: ex06 (SQL) earns ``score`` of its 2 points, ex01 its 4 of 4."""
    cells = [CellResult("ex01-tests", 4.0, 4.0, "passed", ""),
             CellResult("ex06-tests", score, 2.0, "passed" if score == 2 else "failed", "")]
    exercises = [ExerciseResult("ex01", "Parse", ["python"], cells[:1]),
                 ExerciseResult("ex06", "Select", ["sql"], cells[1:])]
    return GradeResult("me", "lab01-python-sql", 4.0 + score, 6.0, "graded", "", exercises)


def _store(course: Course) -> Path:
    return course.settings.state_path / progress.FILE


def test_a_missing_store_is_an_empty_one(course):
    assert progress.read_store(course) == progress.Store()
    result = CliRunner().invoke(app, ["progress", "--markdown"])
    assert result.exit_code == 0, result.output
    assert "| SQL | intermediate-advanced | — |" in result.output


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]",
                                     b'"a string"'])
def test_a_damaged_store_is_kept_aside_and_checking_goes_on(course, content):
    path = _store(course)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert progress.read_store(course).damaged
    shown = CliRunner().invoke(app, ["progress"])
    assert shown.exit_code == 0 and "could not be read" in shown.output
    progress.record(course, _lab1(2.0))
    [kept] = path.parent.glob(f"{progress.FILE}.damaged-*")
    assert kept.read_bytes() == content  # nothing the learner had is thrown away
    assert [a["score"] for a in progress.load(course)] == [6.0]


def test_malformed_entries_are_skipped_and_good_ones_kept(course):
    path = _store(course)
    path.parent.mkdir(parents=True)
    good = {"lab": "lab01-python-sql", "score": 5, "max_score": 6,
            "exercises": {"ex06": {"points": 1, "max_points": 2}}}
    path.write_text(json.dumps({"attempts": [good, {"lab": 3}, "junk", {"score": "high"}],
                                "portfolio": {"not": "a list"}}))
    store = progress.read_store(course)
    assert store.attempts == [good] and store.portfolio == [] and not store.damaged
    progress.record(course, _lab1(2.0))
    assert len(progress.load(course)) == 2
    assert not list(path.parent.glob("*.damaged-*"))


def test_markdown_claims_passed_labs_and_checked_projects_only(course):
    progress.record(course, _lab1(0.0))  # 4/6: below the pass mark
    text = progress.evidence_markdown(course)
    assert "Lab 1" not in text
    progress.record(course, _lab1(2.0))  # 6/6
    progress.record_portfolio(course, project="training-pipeline", path=Path("/x/my-pipeline"),
                              score=92, max_score=100, passed=True)
    progress.record_portfolio(course, project="prediction-api", path=Path("/x/my-api"),
                              score=40, max_score=100, passed=False)
    text = progress.evidence_markdown(course)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()
            if line.startswith("| ")}
    assert "Lab 1 Python & SQL foundations (6/6)" in rows["SQL"]
    assert "training-pipeline `my-pipeline` (rubric 92/100)" in rows["SQL"]
    assert "/x/" not in text  # a README shows the repository's name, not the learner's disk
    assert "prediction-api" not in rows["API development"]  # it did not pass
    assert rows["API development"].endswith("| — |")
