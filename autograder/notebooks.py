"""Reading lab notebooks safely, and the structure a lab's notebook follows.

A notebook is data: this module reads it with clear errors (not JSON, not UTF-8, a wrong
nbformat version) and finds the exercises, answer cells, grade cells and hints that
``curriculum/AUTHORING.md`` describes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .errors import NotebookError

SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?",
                             re.MULTILINE | re.DOTALL)
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                           re.MULTILINE | re.DOTALL)
HINT_BOX = re.compile(r"<details>\s*<summary>(?P<title>.*?)</summary>(?P<body>.*?)</details>",
                      re.DOTALL | re.IGNORECASE)


def read_notebook(path: Path) -> NotebookNode:
    """Read and validate a notebook; ``NotebookError`` says what is wrong and what to do."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise NotebookError(f"{path} does not exist") from None
    except OSError as error:
        raise NotebookError(f"{path} cannot be read: {error.strerror}") from None
    return parse_notebook(raw, str(path))


def parse_notebook(raw: bytes, name: str) -> NotebookNode:
    """Parse notebook bytes with the same clear errors as ``read_notebook``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotebookError(f"{name} is not UTF-8 text (bad byte at position {error.start}); "
                            "save it again from Jupyter") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"{name} is not valid notebook JSON (line {error.lineno}, column "
                            f"{error.colno}: {error.msg}); it may be truncated or edited by "
                            "hand — restore it from a checkpoint or start again") from None
    if not isinstance(data, dict) or "cells" not in data:
        raise NotebookError(f"{name} is JSON but not a notebook (it has no cells)")
    major = data.get("nbformat")
    if major != 4:
        raise NotebookError(f"{name} uses notebook format version {major!r}; only version 4 is "
                            "supported (open it in JupyterLab and save it to convert it)")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several unrelated types
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NotebookError(f"{name} is not a valid notebook: {first}") from None
    return notebook


def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def mle_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("mle", {}) or {}


def exercise_of(grade_id: str) -> str:
    """``ex03-tests-b`` -> ``ex03``: the exercise a cell belongs to."""
    return grade_id.split("-", 1)[0]


@dataclass
class GradeCell:
    grade_id: str
    points: float


@dataclass
class Exercise:
    id: str
    title: str = ""
    skills: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    tests: list[GradeCell] = field(default_factory=list)
    hints: list[tuple[str, str]] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(test.points for test in self.tests)


def exercises(notebook: NotebookNode) -> list[Exercise]:
    """The exercises of a lab notebook, in order, with their cells, skills and hints.

    A notebook without the course's ``mle`` metadata (any instructor's nbgrader assignment)
    has one exercise per grade cell, holding the answer cells since the previous one.
    """
    if not any("exercise" in mle_meta(cell) for cell in notebook.cells):
        return _plain_exercises(notebook)
    found: dict[str, Exercise] = {}

    def get(exercise_id: str) -> Exercise:
        return found.setdefault(exercise_id, Exercise(id=exercise_id))

    for cell in notebook.cells:
        meta, grading = mle_meta(cell), nbgrader_meta(cell)
        if "exercise" in meta:
            exercise = get(meta["exercise"])
            exercise.title = meta.get("title", exercise.title)
            exercise.skills = list(meta.get("skills", exercise.skills))
        if "hints" in meta:
            get(meta["hints"]).hints = hint_levels(cell.source)
        grade_id = grading.get("grade_id")
        if not grade_id:
            continue
        if grading.get("grade"):
            get(exercise_of(grade_id)).tests.append(
                GradeCell(grade_id, float(grading.get("points", 0))))
        elif grading.get("solution"):
            get(exercise_of(grade_id)).answers.append(grade_id)
    return list(found.values())


def _plain_exercises(notebook: NotebookNode) -> list[Exercise]:
    found, answers, title = [], [], ""
    for cell in notebook.cells:
        grading = nbgrader_meta(cell)
        if cell.cell_type == "markdown" and not grading.get("grade_id"):
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines()
                            if line.startswith("#")), "")
            title = heading or title
        grade_id = grading.get("grade_id")
        if not grade_id:
            continue
        if grading.get("solution") and not grading.get("grade"):
            answers.append(grade_id)
        elif grading.get("grade") or grading.get("task"):
            own = [grade_id] if grading.get("solution") else []
            found.append(Exercise(id=grade_id, title=title, answers=answers + own,
                                  tests=[GradeCell(grade_id, float(grading.get("points", 0)))]))
            answers = []
    return found


def hint_levels(markdown: str) -> list[tuple[str, str]]:
    """The ``<details>`` boxes of a hint cell as (title, text) pairs, level 1 first."""
    return [(m["title"].strip(), m["body"].strip()) for m in HINT_BOX.finditer(markdown)]


def strip_hidden_tests(source: str) -> str:
    """A grade cell's source as a learner may see it: hidden tests removed."""
    return HIDDEN_REGION.sub("# (hidden tests run here when graded)\n", source)


def solution_code(source: str) -> str:
    """The reference answer: a source cell with its solution markers removed."""
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", "", source, flags=re.MULTILINE)


def fill_answers(release: NotebookNode, source: NotebookNode,
                 overrides: dict[str, str] | None = None) -> NotebookNode:
    """A released notebook with every answer cell completed from the source.

    ``overrides`` maps answer ``grade_id``s to code to put there instead: that is how demo
    cohorts and the tests' "realistic wrong answers" are made.
    """
    overrides = dict(overrides or {})
    reference = {nbgrader_meta(c).get("grade_id"): c.source for c in source.cells
                 if nbgrader_meta(c).get("solution")}
    unknown = set(overrides) - set(reference)
    if unknown:
        raise KeyError(f"no answer cells named {sorted(unknown)}; known: {sorted(reference)}")
    filled = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in filled.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in reference:
            cell.source = overrides.get(grade_id, solution_code(reference[grade_id]))
    return filled
