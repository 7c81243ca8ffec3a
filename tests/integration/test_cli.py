"""Every `mle` command, as a user types it, on the toy course."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from autograder.cli import app
from tests.support import solved, write_submission

runner = CliRunner()


def mle(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_every_command():
    result = mle("--help")
    for command in ("list", "release", "start", "check", "hint", "progress", "grade", "demo"):
        assert command in result.output


def test_list_shows_labs_skills_and_status(toy_env):
    result = mle("list")
    assert result.exit_code == 0
    assert "Toy lab" in result.output and "not started" in result.output
    assert "coming soon" in result.output and "skills: python" in result.output


def test_start_copies_once_and_never_overwrites(toy_env, tmp_path):
    first = mle("start", "1")
    assert first.exit_code == 0 and "copied  toy.ipynb" in first.output
    mine = tmp_path / "work" / "lab01-toy" / "toy.ipynb"
    mine.write_text(mine.read_text().replace("Write `add(a, b)`.", "MY NOTES"))
    second = mle("start", "lab01")
    assert second.exit_code == 0 and "kept    toy.ipynb" in second.output
    assert "MY NOTES" in mine.read_text()
    assert "started" in mle("list").output


def test_check_grades_records_and_never_prints_hidden_tests(toy_env, tmp_path):
    mle("start", "1")
    mine = tmp_path / "work" / "lab01-toy" / "toy.ipynb"
    nbformat.write(solved(toy_env, "lab01-toy", "toy.ipynb",
                          {"ex02-answer": "def mean(xs):\n    return sum(xs) // len(xs)"}), mine)
    result = mle("check", "1")
    assert result.exit_code == 0, result.output
    assert "✔ ex01" in result.output and "◐ ex02" in result.output
    assert "Score: 4/6" in result.output and "mle hint 1" in result.output
    assert "SECRET-HIDDEN-CHECK" not in result.output and "HIDDEN" not in result.output
    listing = mle("list").output
    assert "attempted — best 4/6" in listing
    progress = mle("progress").output
    assert "Python programming" in progress and "4/6" in progress


def test_check_a_broken_notebook_explains_instead_of_crashing(toy_env, tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    result = mle("check", "1", "--notebook", str(broken))
    assert result.exit_code == 1
    assert "invalid" in result.output and "mle start 1" in result.output
    assert "Traceback" not in result.output


def test_check_before_start_says_what_to_do(toy_env):
    result = mle("check", "1")
    assert result.exit_code == 2 and "mle start 1" in result.output


def test_hint_one_level_at_a_time(toy_env):
    first = mle("hint", "1", "ex01")
    assert "Use `+`" in first.output and "return a + b" not in first.output
    assert "--level 2" in first.output
    second = mle("hint", "1", "1", "--level", "2")
    assert "return a + b" in second.output
    assert mle("hint", "1", "ex09").exit_code == 2


@pytest.mark.parametrize("args,words", [
    (["start", "9"], "there is no lab"),
    (["start", "2"], "not written yet"),
    (["grade", "1", "/nonexistent/folder", "--out", "x"], "not a folder"),
])
def test_usage_errors_are_short_messages(toy_env, args, words):
    result = mle(*args)
    assert result.exit_code == 2 and words in result.output
    assert "Traceback" not in result.output


def test_grade_command_writes_csv_and_prints_table(toy_env, tmp_path):
    subs = tmp_path / "subs"
    write_submission(subs, "amy", "toy.ipynb", solved(toy_env, "lab01-toy", "toy.ipynb"))
    write_submission(subs, "bob", "toy.ipynb", b"not json")
    (subs / "carl").mkdir()
    result = mle("grade", "1", str(subs), "--out", str(tmp_path / "out"), "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "amy" in result.output and "6/6" in result.output and "invalid" in result.output
    assert "cohort.png" in result.output and (tmp_path / "out" / "cohort.png").is_file()
    # how kernels start, with the lab's preload list from the syllabus
    assert "pre-imported zygote per worker (numpy, statistics)" in result.output
    rows = list(csv.DictReader(open(tmp_path / "out" / "grades.csv")))
    assert {r["student_id"]: r["status"] for r in rows} == {
        "amy": "graded", "bob": "invalid", "carl": "missing"}


def test_grade_empty_folder_is_not_an_error(toy_env, tmp_path):
    (tmp_path / "empty").mkdir()
    result = mle("grade", "1", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0 and "nothing graded" in result.output


def test_release_regenerates_labs(toy_env):
    target = toy_env / "labs" / "lab01-toy" / "toy.ipynb"
    result = mle("release", "1")
    assert result.exit_code == 0 and "released lab01-toy" in result.output
    assert "raise NotImplementedError()" in target.read_text()
    assert "BEGIN HIDDEN TESTS" not in target.read_text()


def test_demo_end_to_end_through_the_console_script(toy_env, tmp_path):
    """`mle demo` as installed: correct = full, blank = 0, partial in between, broken invalid."""
    mle_exe = Path(sys.executable).parent / "mle"
    done = subprocess.run([str(mle_exe), "demo", "--out", str(tmp_path / "demo")],
                          capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    rows = {r["student_id"]: r for r in csv.DictReader(
        open(tmp_path / "demo" / "grading" / "grades.csv"))}
    assert rows["ada-correct"]["score"] == rows["ada-correct"]["max_score"]
    assert rows["ben-blank"]["score"] == "0"
    assert 0 < float(rows["cy-partial"]["score"]) < float(rows["cy-partial"]["max_score"])
    assert rows["dee-broken"]["status"] == "invalid"
    assert "ada-correct" in done.stdout and "Feedback pages" in done.stdout
