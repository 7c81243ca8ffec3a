"""A learner half-way through a lab when a new edition comes out (`mle upgrade`), as they type it.

On a private copy of the toy course: the learner starts edition 1, answers one exercise, adds a
cell of their own and earns a score; the course then releases edition 2, which changes one
exercise's starting code. `mle list` and `mle check` say so, and `mle upgrade` moves the answer,
keeps the learner's cell and their old copy, and leaves their progress alone.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
import yaml
from typer.testing import CliRunner

from autograder.cli import app
from autograder.notebooks import nbgrader_meta
from autograder.release import release_lab
from autograder.settings import Settings
from tests.conftest import TOY

runner = CliRunner()


def mle(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def course(tmp_path, monkeypatch):
    root = tmp_path / "course"
    shutil.copytree(TOY, root)
    release_lab(lab="1", settings=Settings(root=root))
    monkeypatch.setenv("MLE_ROOT", str(root))
    monkeypatch.setenv("MLE_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("MLE_STATE_DIR", str(tmp_path / "state"))
    return root


def cells(notebook) -> dict:
    return {nbgrader_meta(c).get("grade_id"): c for c in notebook.cells}


def publish_edition_2(root) -> None:
    """The course changes ex03's starting code and says so in the changelog."""
    syllabus_path = root / "curriculum" / "syllabus.yaml"
    syllabus = yaml.safe_load(syllabus_path.read_text())
    syllabus["labs"][0]["changelog"] = [{"edition": 2, "exercises": ["ex03"],
                                         "summary": "greet takes a title too"}]
    syllabus_path.write_text(yaml.safe_dump(syllabus, sort_keys=False))
    source = root / "solutions" / "lab01-toy" / "toy.ipynb"
    notebook = nbformat.read(source, as_version=4)
    answer = cells(notebook)["ex03-answer"]
    answer.source = answer.source.replace("def greet(name):", "def greet(name, title=''):")
    nbformat.write(notebook, source)
    release_lab(lab="1", settings=Settings(root=root))


def test_a_learner_moves_to_a_new_edition_without_losing_anything(course, tmp_path):
    assert mle("start", "1").exit_code == 0
    mine = tmp_path / "work" / "lab01-toy" / "toy.ipynb"
    notebook = nbformat.read(mine, as_version=4)
    assert notebook.metadata["mle"] == {"lab": "lab01-toy", "edition": 1}
    cells(notebook)["ex01-answer"].source = "def add(a, b):\n    return b + a  # mine"
    own = nbformat.v4.new_markdown_cell("MY OWN NOTES")
    notebook.cells.insert(notebook.cells.index(cells(notebook)["ex01-answer"]) + 1, own)
    nbformat.write(notebook, mine)
    assert "Score: 2/6" in mle("check", "1").output
    original = mine.read_bytes()

    publish_edition_2(course)
    assert "Edition 2 of lab01-toy is out (your copy is edition 1)" in mle("list").output
    assert "mle upgrade 1" in mle("check", "1").output

    result = mle("upgrade", "1")
    assert result.exit_code == 0, result.output
    assert "edition 1 -> 2" in result.output and "carried over: ex01-answer" in result.output
    assert "greet takes a title too" in result.output and "ex03" in result.output
    upgraded = nbformat.read(mine, as_version=4)
    assert upgraded.metadata["mle"]["edition"] == 2
    by_id = cells(upgraded)
    assert "return b + a  # mine" in by_id["ex01-answer"].source  # their answer, carried
    assert "def greet(name, title='')" in by_id["ex03-answer"].source  # the new starting code
    position = upgraded.cells.index(by_id["ex01-answer"])
    assert upgraded.cells[position + 1].source == "MY OWN NOTES"  # their cell, in its place
    backup = tmp_path / "work" / "lab01-toy" / "previous-editions" / "toy.edition1.ipynb"
    assert backup.read_bytes() == original  # their copy, byte for byte
    assert "best 2/6" in mle("list").output  # progress kept
    assert "Edition 2" not in mle("list").output
    again = mle("upgrade", "1")
    assert again.exit_code != 0 and "already edition 2" in again.output
    assert "Score: 2/6" in mle("check", "1").output  # the new edition grades the carried answer


def test_upgrading_a_lab_never_started_says_what_to_do(course):
    result = mle("upgrade", "1")
    assert result.exit_code != 0 and "mle start 1" in result.output
