"""Grading a cohort of the toy lab where every kind of bad input appears once.

One real grading run (real kernels, real nbgrader gradebook) serves all the tests here.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import nbformat
import pytest

from autograder.grade import grade_cohort
from autograder.settings import Settings
from tests.support import solved, write_submission

LAB, NB = "lab01-toy", "toy.ipynb"
WRONG_ADD = "def add(a, b):\n    return a - b"


def _cohort(root: Path, folder: Path) -> dict[str, float | None]:
    """Write the submissions; return each student's expected score (None: not graded)."""
    good = solved(root, LAB, NB)
    release = nbformat.read(root / "labs" / LAB / NB, as_version=4)
    expected: dict[str, float | None] = {}

    def add(student, content, score):
        write_submission(folder, student, NB, content)
        expected[student] = score

    add("good", good, 6)
    add("blank", release, 0)
    add("wrong-mean", solved(root, LAB, NB, {"ex02-answer": "def mean(xs):\n    return sum(xs) // len(xs)"}), 4)
    add("half-mean", solved(root, LAB, NB, {"ex02-answer": "def mean(xs):\n    return float(xs[0])"}), 2 + 0 + 1 + 1)
    add("loop", solved(root, LAB, NB, {"ex02-answer": "def mean(xs):\n    while True:\n        pass"}), 2)
    add("crash", solved(root, LAB, NB, {"ex02-answer": "import os\ndef mean(xs):\n    os._exit(3)"}), 2)
    add("spam", solved(root, LAB, NB, {"ex01-answer": "print('x' * 2_000_000)\ndef add(a, b):\n    return a + b"}), 6)
    # gaming attempts: each must lose exactly the points of ex01 (2)
    always_equal = ("class Yes(int):\n    def __eq__(self, other):\n        return True\n"
                    "    __hash__ = int.__hash__\ndef add(a, b):\n    return Yes(0)")
    add("always-equal", solved(root, LAB, NB, {"ex01-answer": always_equal}), 4)
    add("custom-exc", solved(root, LAB, NB, {"ex01-answer": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n" + WRONG_ADD}), 4)
    add("showtraceback", solved(root, LAB, NB, {"ex01-answer": "get_ipython().showtraceback = lambda *a, **k: None\n" + WRONG_ADD}), 4)
    lookalike = "def add(a, b):\n    return 3 if (a, b) == (1, 2) else 99\n"
    add("rebinds-checks", solved(root, LAB, NB, {"ex01-answer": lookalike + (
        "assert_same = check_type = lambda *args, **kwargs: None")}), 4)
    add("patches-checks", solved(root, LAB, NB, {"ex01-answer": lookalike + (
        "import autograder.checks as c\nc.assert_same = c.check_type = lambda *a, **k: None")}), 4)
    edited = solved(root, LAB, NB, {"ex01-answer": WRONG_ADD})
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex01-tests":
            cell.source = "pass  # the learner emptied the test"
    add("edited-test", edited, 4)
    deleted = solved(root, LAB, NB, {"ex01-answer": WRONG_ADD})
    deleted.cells = [c for c in deleted.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") != "ex01-tests"]
    add("deleted-test", deleted, 4)
    faked = solved(root, LAB, NB, {"ex01-answer": "while True:\n    pass"})
    for cell in faked.cells:  # pretend every cell already ran fine, then time out early
        cell.metadata["mle_reply"] = {"status": "ok"}
        cell.metadata["papermill"] = {"status": "completed"}
    add("faked-metadata", faked, 0)
    # bad files
    text = nbformat.writes(good)
    add("truncated", text[: len(text) // 2], None)
    add("latin1", text.replace("Hello", "Hallø").encode("latin-1", errors="replace"), None)
    v3 = json.loads(text)
    v3["nbformat"] = 3
    add("nbformat3", json.dumps(v3), None)
    add("not-a-notebook", json.dumps({"hello": "world"}), None)
    (folder / "nobody").mkdir()
    (folder / "nobody" / "notes.txt").write_text("forgot to attach it")
    expected["nobody"] = None
    add("misnamed", good, None)
    (folder / "misnamed" / NB).rename(folder / "misnamed" / "my_lab.ipynb")
    return expected


@pytest.fixture(scope="module")
def graded(toy_root: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("out")
    expected = _cohort(toy_root, folder)
    results = grade_cohort(lab="1", submissions=folder, out=out, workers=2, timeout=5,
                           settings=Settings(root=toy_root), progress=False)
    return {r.student_id: r for r in results}, expected, folder, out, toy_root


def test_every_student_gets_exactly_one_result(graded):
    results, expected, *_ = graded
    assert sorted(results) == sorted(expected)


@pytest.mark.parametrize("student,status", [
    ("good", "graded"), ("blank", "graded"), ("wrong-mean", "graded"), ("loop", "timeout"),
    ("crash", "error"), ("spam", "graded"), ("truncated", "invalid"), ("latin1", "invalid"),
    ("nbformat3", "invalid"), ("not-a-notebook", "invalid"), ("nobody", "missing"),
    ("misnamed", "missing"), ("always-equal", "graded"), ("custom-exc", "flagged"),
    ("showtraceback", "flagged"), ("edited-test", "flagged"), ("deleted-test", "graded"),
    ("faked-metadata", "timeout"), ("rebinds-checks", "graded"), ("patches-checks", "graded"),
])
def test_status(graded, student, status):
    results, *_ = graded
    assert results[student].status == status, results[student].message


def test_scores_are_exact(graded):
    results, expected, *_ = graded
    for student, score in expected.items():
        want = 0 if score is None else score
        assert results[student].score == want, (student, results[student].message)
        assert results[student].max_score == 6


@pytest.mark.parametrize("student,words", [
    ("loop", ["ex02-tests", "longer than 5 s"]),
    ("crash", ["kernel died", "ex02-tests"]),
    ("spam", ["cut"]),
    ("truncated", ["not valid notebook JSON", "line"]),
    ("latin1", ["not UTF-8"]),
    ("nbformat3", ["version 3"]),
    ("not-a-notebook", ["not a notebook"]),
    ("nobody", ["no toy.ipynb"]),
    ("misnamed", ["my_lab.ipynb", "rename"]),
    ("wrong-mean", ["ex02"]),
])
def test_messages_say_what_happened(graded, student, words):
    results, *_ = graded
    message = results[student].message
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_grades_csv_has_the_exact_columns_and_one_row_each(graded):
    results, expected, _, out, _ = graded
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student_id", "lab", "score", "max_score", "status", "message"]
    assert sorted(r["student_id"] for r in rows) == sorted(expected)
    good = next(r for r in rows if r["student_id"] == "good")
    assert (good["lab"], good["score"], good["max_score"]) == (LAB, "6", "6")


def test_gradebook_is_real_nbgrader_and_agrees(graded):
    from nbgrader.api import Gradebook

    results, _, _, out, _ = graded
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for student in ("good", "blank", "wrong-mean", "loop", "always-equal"):
            submission = gb.find_submission(LAB, student)
            assert submission.score == results[student].score, student
            assert submission.max_score == 6


def test_feedback_never_shows_hidden_tests(graded):
    results, _, _, out, root = graded
    hidden_marker = "SECRET-HIDDEN-CHECK"
    assert hidden_marker in (root / "solutions" / LAB / NB).read_text()
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) == len(results)
    for page in pages:
        html = page.read_text()
        assert hidden_marker not in html and "BEGIN HIDDEN TESTS" not in html
        assert "assert_same(add(-7, 7)" not in html
    wrong = (out / "feedback" / "wrong-mean" / "toy.html").read_text()
    assert "ex02" in wrong and "4 / 6" in wrong and "mle hint 1" in wrong


def test_regrading_updates_without_losing_or_duplicating(graded, tmp_path):
    results, expected, folder, out, root = graded
    again = tmp_path / "again"
    write_submission(again, "wrong-mean", NB, solved(root, LAB, NB))  # fixed it
    write_submission(again, "newcomer", NB, solved(root, LAB, NB))
    grade_cohort(lab="1", submissions=again, out=out, workers=1, timeout=5,
                 settings=Settings(root=root), progress=False)
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["student_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(expected) + 1
    by_id = {r["student_id"]: r for r in rows}
    assert by_id["wrong-mean"]["score"] == "6" and by_id["newcomer"]["score"] == "6"
    assert by_id["loop"]["status"] == "timeout"  # untouched rows are kept
    with sqlite3.connect(out / "gradebook.db") as db:
        count = db.execute("select count(*) from submitted_assignment sa join student s "
                           "on sa.student_id = s.id where s.id = 'wrong-mean'").fetchone()[0]
    assert count == 1


def test_unanswered_exercise_reads_as_not_answered(graded):
    results, *_ = graded
    cells = [c for e in results["blank"].exercises for c in e.cells]
    assert all(c.status == "failed" for c in cells), cells
    assert "not answered yet" in cells[0].message


def test_cohort_chart_and_per_cell_scores_come_from_the_gradebook(graded):
    from autograder.gradebook import cell_scores

    results, _, _, out, _ = graded
    scores = cell_scores(assignment_id=LAB, gradebook=out / "gradebook.db")
    assert scores["good"] == {"ex01-tests": 2, "ex02-tests": 1, "ex02-tests-b": 2, "ex03-tests": 1}
    assert scores["half-mean"]["ex02-tests-b"] == 1.0 and scores["blank"]["ex01-tests"] == 0
    assert "nobody" not in scores  # never graded: no submission in the gradebook
    assert (out / "cohort.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_instructor_report_covers_the_whole_cohort(graded):
    """report.html: every student needing attention listed with their message, every
    exercise with a pass rate; self-contained (it opens offline)."""
    import re

    results, _, _, out, _ = graded
    page = (out / "report.html").read_text(encoding="utf-8")
    for result in results.values():
        if result.status != "graded":
            assert f"<td>{result.student_id}</td>" in page, result.student_id
    for exercise in ("ex01", "ex02", "ex03"):
        assert f"<b>{exercise}</b>" in page
    assert "data:image/png;base64," in page
    assert not re.search(r"(src|href)=['\"]?https?:", page)
