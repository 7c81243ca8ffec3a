"""``mle grade --source``: an instructor's own nbgrader assignment, graded like a lab.

The test course (``tests/fixtures/nbcourse``) is a small nbgrader course as an instructor would
write it: two notebooks, a data file next to them, hidden tests, partial credit, and two answers
graded by hand (a markdown one and a code one). Its cohort is graded in both submission layouts
(``SUBMISSIONS/<student>/*.ipynb`` and nbgrader's ``submitted/<student>/<assignment>/``), and the
output is checked through nbgrader's own API, as formgrader would read it.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from autograder import gradebook
from autograder.cli import app
from autograder.grade import grade_cohort
from autograder.notebooks import fill_answers, read_notebook

SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "nbcourse" / "source" / "ps1"
NOTEBOOKS = ("problem1.ipynb", "problem2.ipynb")
MANUAL = 3  # "explain" (2 points, markdown) and "describe" (1 point, code)
MAX = 10
NO_ERROR = 'def squares(n):\n    return [i * i for i in range(1, n + 1)]\n'
# what each student changes from the solution, and the auto-graded score that must follow
COHORT = {
    "alice": ({}, 7),  # every answer right
    "bob": ({"squares": NO_ERROR}, 6),  # no ValueError: 1 of the 2 partial-credit points
    "carol": (None, 0),  # the notebooks as released
    # hard-codes an answer and ships a heights.csv to match: the source's file is restored
    "dave": ({"mean": "def mean_height(rows):\n    return 999.0\n"}, 5),
}
TIMESTAMP = "2026-11-20 09:30:00.000000 UTC"


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release")
    gradebook.generate(assignment_id="ps1", source_dir=SOURCE, release_dir=folder / "ps1",
                       gradebook=folder / "gradebook.db")
    return folder / "ps1"


def _write(folder: Path, student: str, release: Path) -> None:
    changes, _ = COHORT[student]
    folder.mkdir(parents=True, exist_ok=True)
    for name in NOTEBOOKS:
        released = read_notebook(release / name)
        if changes is None:
            notebook = released
        else:
            mine = {k: v for k, v in changes.items()
                    if any(c.metadata.get("nbgrader", {}).get("grade_id") == k
                           for c in released.cells)}
            notebook = fill_answers(released, read_notebook(SOURCE / name), mine)
        nbformat.write(notebook, folder / name)
    if student == "dave":
        (folder / "heights.csv").write_text("name,height\nx,999\n")


@pytest.fixture(scope="module")
def flat(release, tmp_path_factory):
    """Layout 1, through the CLI: SUBMISSIONS/<student>/*.ipynb."""
    tmp = tmp_path_factory.mktemp("flat")
    for student in ("alice", "carol", "dave"):
        _write(tmp / "subs" / student, student, release)
    run = CliRunner().invoke(app, ["grade", "--source", str(SOURCE), str(tmp / "subs"),
                                   "--out", str(tmp / "out"), "--workers", "2"])
    return tmp / "out", run


@pytest.fixture(scope="module")
def course(release, tmp_path_factory):
    """Layout 2: an nbgrader course's submitted/<student>/ps1/, with timestamps; the course
    folder itself is given, as an instructor who uses nbgrader would."""
    tmp = tmp_path_factory.mktemp("course")
    for student in ("alice", "bob"):
        folder = tmp / "course" / "submitted" / student / "ps1"
        _write(folder, student, release)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    (tmp / "course" / "nbgrader_config.py").write_text("c = get_config()\n")
    results = grade_cohort(source=SOURCE, submissions=tmp / "course", out=tmp / "out",
                           workers=2, progress=False)
    return tmp / "out", {r.student_id: r for r in results}


def _rows(out: Path) -> dict[str, dict[str, str]]:
    from autograder.report import read_rows

    return {r["student_id"]: r for r in read_rows(out / "grades.csv")}


def test_the_cli_grades_the_flat_layout(flat):
    out, run = flat
    assert run.exit_code == 0, run.output
    assert "Protections on this machine" in run.output
    assert "nbgrader formgrader" in run.output  # answers await a person: say where
    rows = _rows(out)
    for student in ("alice", "carol", "dave"):
        assert float(rows[student]["score"]) == COHORT[student][1], rows[student]
        assert rows[student]["max_score"] == str(MAX)
        assert rows[student]["lab"] == "ps1"


def test_the_nbgrader_layout_grades_the_same(course, flat):
    _, results = course
    flat_rows = _rows(flat[0])
    assert results["alice"].score == float(flat_rows["alice"]["score"]) == 7
    assert results["bob"].score == 6
    assert all(r.status == "graded" for r in results.values())


def test_manual_points_are_reported_honestly(course):
    alice = course[1]["alice"]
    assert alice.score == 7 and alice.max_score == MAX
    assert f"{MANUAL} point(s) await manual grading" in alice.message
    # in the assignment's order, whichever notebook finished first
    assert [e.id for e in alice.exercises] == ["correct_squares", "squares_partial", "explain",
                                                "correct_mean", "describe"]
    manual = {c.grade_id: c.status for e in alice.exercises for c in e.cells}
    assert manual["explain"] == manual["describe"] == "manual"
    assert manual["correct_squares"] == manual["correct_mean"] == "passed"


def test_partial_credit_comes_from_nbgrader(course):
    bob = course[1]["bob"]
    cells = {c.grade_id: c for e in bob.exercises for c in e.cells}
    assert cells["squares_partial"].points == 1 and cells["squares_partial"].status == "partial"
    assert cells["correct_squares"].status == "passed"


def test_the_source_data_file_wins_over_the_submitted_one(flat):
    dave = _rows(flat[0])["dave"]
    assert float(dave["score"]) == 5, dave  # 999.0 matched only dave's own heights.csv


def test_an_untouched_release_earns_nothing(flat):
    carol = _rows(flat[0])["carol"]
    assert float(carol["score"]) == 0 and carol["status"] == "graded", carol


def test_out_is_an_nbgrader_course_that_nbgraders_api_reads(course):
    """What formgrader sees: every submission autograded, with our scores, manual ones
    pending; a manual grade given there adds to the total."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    out, results = course
    for part in ("nbgrader_config.py", "gradebook.db", "source/ps1/heights.csv",
                 "release/ps1/problem1.ipynb", "submitted/bob/ps1/timestamp.txt",
                 "autograded/bob/ps1/problem2.ipynb"):
        assert (out / part).exists(), part
    api = NbGraderAPI(config=gradebook.course_config(out, out / "gradebook.db"))
    submissions = {s["student"]: s for s in api.get_submissions("ps1")}
    assert set(submissions) == {"alice", "bob"}
    for student, result in results.items():
        assert submissions[student]["autograded"], student
        assert submissions[student]["needs_manual_grade"], student
        assert submissions[student]["score"] == result.score
        assert submissions[student]["max_score"] == MAX
    # the autograded notebook shows the instructor's test, not the grader's guard
    executed = read_notebook(out / "autograded/alice/ps1/problem1.ipynb")
    test = next(c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade_id") ==
                "correct_squares")
    assert test.source.startswith('"""squares returns the right list"""'), test.source
    with Gradebook(gradebook.db_url(out / "gradebook.db"), gradebook.COURSE_ID) as gb:
        grade = gb.find_grade("explain", "problem1", "ps1", "alice")
        grade.manual_score = 2
        gb.db.commit()
    assert api.get_submission("ps1", "alice")["score"] == 9


def test_feedback_shows_no_hidden_test_and_names_manual_answers(course):
    out, _ = course
    page = (out / "feedback" / "alice" / "problem1.html").read_text()
    assert "squares(10)" not in page
    assert "awaits manual grading" in page
    assert "mle hint" not in page  # an instructor's assignment has no course hints


def test_source_folder_errors_are_clear(tmp_path):
    run = CliRunner().invoke(app, ["grade", "--source", str(tmp_path), str(tmp_path),
                                   "--out", str(tmp_path / "o")])
    assert run.exit_code != 0 and "has no notebooks" in run.output, run.output
    run = CliRunner().invoke(app, ["grade", "--source", str(SOURCE), "--out", str(tmp_path)])
    assert run.exit_code != 0 and "usage: `mle grade" in run.output, run.output


def test_a_symlinked_notebook_is_refused(release, tmp_path):
    """A link to the source notebook would otherwise be read, and graded, as the answer."""
    folder = tmp_path / "subs" / "eve"
    folder.mkdir(parents=True)
    for name in NOTEBOOKS:
        (folder / name).symlink_to(SOURCE / name)
    [result] = grade_cohort(source=SOURCE, submissions=tmp_path / "subs", out=tmp_path / "out",
                            workers=1, progress=False)
    assert result.status == "invalid" and result.score == 0
    assert "symbolic link" in result.message
    assert json.loads((SOURCE / NOTEBOOKS[0]).read_text())  # nothing happened to the source
