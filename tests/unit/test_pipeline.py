"""The grading pipeline's steps one by one, with no kernel: find, read, sanitise, guard,
collect (``autograder/grade.py`` lists them in order)."""

from __future__ import annotations

import nbformat
import pytest

from autograder import gradebook
from autograder.assignment import Assignment
from autograder.errors import NotebookError, UsageError
from autograder.grade import (
    CHECKS_GUARD,
    TIMESTAMP,
    collect,
    find_submissions,
    guard,
    read_submitted,
    sanitise,
    unguard,
)
from autograder.jobs import REPLY_KEY, JobResult
from autograder.notebooks import exercises, nbgrader_meta, read_notebook
from tests.integration.test_source_assignment import SOURCE


@pytest.fixture(scope="module")
def ps1():
    return Assignment.from_source(SOURCE)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("book")
    gradebook.generate(assignment_id="ps1", source_dir=SOURCE, release_dir=folder / "release",
                       gradebook=folder / "gradebook.db")
    return folder


def test_an_assignment_is_its_notebooks_and_the_files_beside_them(ps1):
    assert ps1.id == "ps1" and ps1.notebooks == ("problem1.ipynb", "problem2.ipynb")
    assert ps1.files == ("heights.csv",)
    assert ps1.file_bytes()["heights.csv"].startswith(b"name,height")


def test_either_layout_and_an_nbgrader_course_folder(ps1, tmp_path):
    (tmp_path / "flat" / "amy").mkdir(parents=True)
    (tmp_path / "course" / "submitted" / "bo" / "ps1").mkdir(parents=True)
    (tmp_path / "course" / "source").mkdir()
    (tmp_path / "course" / "submitted" / "bo" / "ps1" / TIMESTAMP).write_text(
        "2026-11-20 09:30:00 UTC")
    [amy] = find_submissions(tmp_path / "flat", ps1)
    [bo] = find_submissions(tmp_path / "course", ps1)
    assert (amy.id, amy.folder, amy.timestamp) == ("amy", tmp_path / "flat" / "amy", None)
    assert bo.folder == tmp_path / "course" / "submitted" / "bo" / "ps1"
    assert bo.timestamp == "2026-11-20 09:30:00 UTC"


def test_a_garbled_timestamp_is_ignored_not_fatal(ps1, tmp_path):
    (tmp_path / "cy").mkdir()
    (tmp_path / "cy" / TIMESTAMP).write_text("yesterday-ish")
    [cy] = find_submissions(tmp_path, ps1)
    assert cy.timestamp is None


def test_links_are_refused(ps1, tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "eve").symlink_to(SOURCE.parent, target_is_directory=True)
    [eve] = find_submissions(tmp_path / "subs", ps1)
    assert eve.status == "invalid" and "symbolic link" in eve.messages[0]
    (tmp_path / "nb.ipynb").symlink_to(SOURCE / "problem1.ipynb")
    with pytest.raises(NotebookError, match="symbolic link"):
        read_submitted(tmp_path / "nb.ipynb")


def test_a_missing_folder_says_what_it_should_hold(ps1, tmp_path):
    with pytest.raises(UsageError, match="submitted/<student>/ps1"):
        find_submissions(tmp_path / "nope", ps1)


def test_sanitise_restores_tests_and_reports_the_edit(book):
    release = read_notebook(book / "release" / "problem1.ipynb")
    edited = nbformat.from_dict(nbformat.reads(nbformat.writes(release), as_version=4))
    test = next(c for c in edited.cells if nbgrader_meta(c).get("grade_id") == "correct_squares")
    test.source = "pass"
    clean, findings = sanitise(edited, release=release, assignment_id="ps1",
                               name="problem1.ipynb", student="x", book=book / "gradebook.db")
    restored = next(c for c in clean.cells if nbgrader_meta(c).get("grade_id") ==
                    "correct_squares")
    assert "squares(10)" in restored.source  # the hidden tests are back, from the gradebook
    assert findings == ["locked cell(s) correct_squares were edited (restored from the source "
                        "before grading)"]


def test_guard_goes_before_tests_only_and_comes_off_again():
    notebook = read_notebook(SOURCE / "problem2.ipynb")
    before = [c.source for c in notebook.cells]
    guard(notebook)
    guarded = {nbgrader_meta(c).get("grade_id") for c in notebook.cells
               if c.source.startswith(CHECKS_GUARD)}
    assert guarded == {"correct_mean"}  # not "describe": a manual answer is learner code
    assert [c.source for c in unguard(notebook).cells] == before


def test_collect_fails_a_test_whose_error_was_hidden():
    notebook = read_notebook(SOURCE / "problem2.ipynb")
    test = next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == "correct_mean")
    test.outputs = []
    test.metadata[REPLY_KEY] = {"status": "error", "ename": "AssertionError", "evalue": ""}
    executed, flags = collect(JobResult("x", "problem2.ipynb", nbformat.writes(notebook), "ok"))
    cell = next(c for c in executed.cells if nbgrader_meta(c).get("grade_id") == "correct_mean")
    assert cell.outputs[0].output_type == "error" and cell.outputs[0].ename == "AssertionError"


def test_a_plain_nbgrader_notebook_has_one_exercise_per_grade_cell():
    found = {e.id: e for e in exercises(read_notebook(SOURCE / "problem1.ipynb"))}
    assert list(found) == ["correct_squares", "squares_partial", "explain"]
    assert found["correct_squares"].answers == ["squares"]
    assert found["explain"].answers == ["explain"] and found["explain"].points == 2
    assert found["correct_squares"].title == "Problem 1: squares"
