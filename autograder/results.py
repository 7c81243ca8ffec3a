"""What grading produces: results per grade cell, per exercise and per student."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from nbformat import NotebookNode

from .gradebook import CellGrade
from .notebooks import Exercise, nbgrader_meta

STATUSES = ("graded", "flagged", "timeout", "error", "invalid", "missing")


@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    status: str  # passed, partial, failed, error, not run, manual (awaits a person)
    message: str = ""


@dataclass
class ExerciseResult:
    id: str
    title: str
    skills: list[str]
    cells: list[CellResult]
    answer_code: str = ""

    @property
    def points(self) -> float:
        return sum(c.points for c in self.cells)

    @property
    def max_points(self) -> float:
        return sum(c.max_points for c in self.cells)

    @property
    def status(self) -> str:
        if any(c.status == "manual" for c in self.cells) and \
                all(c.status in ("manual", "passed") for c in self.cells):
            return "manual"
        if self.max_points and self.points >= self.max_points:
            return "passed"
        if any(c.status == "error" for c in self.cells) and not self.points:
            return "error"
        return "partial" if self.points > 0 else "failed"


@dataclass
class GradeResult:
    student_id: str
    lab: str
    score: float
    max_score: float
    status: str
    message: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def row(self) -> dict[str, str]:
        """The student's line in grades.csv."""
        return {"student_id": self.student_id, "lab": self.lab, "score": _num(self.score),
                "max_score": _num(self.max_score), "status": self.status,
                "message": " ".join(self.message.split())}


    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> GradeResult:
        data = json.loads(text)
        data["exercises"] = [ExerciseResult(**{**e, "cells": [CellResult(**c) for c in e["cells"]]})
                             for e in data.get("exercises", [])]
        return cls(**data)


def _num(value: float) -> str:
    return f"{value:g}"


def _first_line(text: str, limit: int = 300) -> str:
    """The message's first line — and the next one when the first only introduces it."""
    lines = [part.strip() for part in str(text).strip().splitlines() if part.strip()]
    line = " ".join(lines[:2]) if len(lines) > 1 and lines[0].endswith(":") else \
        (lines[0] if lines else "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def cell_result(cell: NotebookNode, grade: CellGrade) -> CellResult:
    """Read a grade cell's outcome from its outputs; never from its (hidden) source."""
    if grade.needs_manual:
        return CellResult(grade.grade_id, 0.0, grade.max_score, "manual",
                          "awaits manual grading by your instructor")
    outputs = cell.get("outputs", [])
    error = next((o for o in outputs if o.get("output_type") == "error"), None)
    if error is not None:
        ename, evalue = error.get("ename", "Error"), _first_line(error.get("evalue", ""))
        if ename == "NotRun":
            return CellResult(grade.grade_id, grade.score, grade.max_score, "not run", evalue)
        if ename == "NotImplementedError":
            return CellResult(grade.grade_id, grade.score, grade.max_score, "failed",
                              "not answered yet (the answer still raises NotImplementedError)")
        status = "failed" if ename == "AssertionError" else "error"
        text = evalue or "a test failed (the assertion has no message)"
        return CellResult(grade.grade_id, grade.score, grade.max_score, status,
                          f"{ename}: {text}" if status == "error" else text)
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs) \
            and grade.score == 0:
        return CellResult(grade.grade_id, 0.0, grade.max_score, "failed",
                          "the cell wrote to stderr (an uncaught warning counts as a failure)")
    if grade.score >= grade.max_score:
        return CellResult(grade.grade_id, grade.score, grade.max_score, "passed")
    status = "partial" if grade.score > 0 else "failed"
    return CellResult(grade.grade_id, grade.score, grade.max_score, status,
                      f"partial credit: {_num(grade.score)} of {_num(grade.max_score)} points")


def exercise_results(notebook: NotebookNode, exercises: list[Exercise],
                     grades: list[CellGrade]) -> list[ExerciseResult]:
    """Group an executed notebook's grade cells into its exercises, in notebook order."""
    by_id = {g.grade_id: g for g in grades}
    cells = {nbgrader_meta(c).get("grade_id"): c for c in notebook.cells}
    results = []
    for exercise in exercises:
        if not exercise.tests:
            continue
        cell_results = []
        unanswered = any(_raised(cells.get(a), "NotImplementedError") for a in exercise.answers)
        for test in exercise.tests:
            grade = by_id.get(test.grade_id, CellGrade(test.grade_id, 0.0, test.points))
            cell = cells.get(test.grade_id)
            if cell is None:
                cell_results.append(CellResult(test.grade_id, 0.0, test.points, "not run",
                                               "this test cell is missing"))
            else:
                result = cell_result(cell, grade)
                if unanswered and _raised(cell, "NameError"):
                    missing = result.message.split(": ", 1)[-1]
                    result.status = "failed"
                    result.message = ("not answered yet (the answer cell still raises "
                                      f"NotImplementedError, so {missing})")
                cell_results.append(result)
        answer = "\n\n".join(cells[a].source for a in exercise.answers if a in cells)
        results.append(ExerciseResult(exercise.id, exercise.title, exercise.skills,
                                      cell_results, answer))
    return results


def _raised(cell: NotebookNode | None, ename: str) -> bool:
    return cell is not None and any(o.get("output_type") == "error" and o.get("ename") == ename
                                    for o in cell.get("outputs", []))


def summary_message(exercises: list[ExerciseResult]) -> str:
    """One line for grades.csv: what passed, what to look at, what awaits a person."""
    manual = sum(c.max_points for e in exercises for c in e.cells if c.status == "manual")
    waiting = (f"; {_num(manual)} point(s) await manual grading (the score is the "
               "auto-graded part)") if manual else ""
    failed = [e.id for e in exercises if e.status not in ("passed", "manual")]
    if not failed:
        return f"all {len(exercises)} exercises passed{waiting}" if not manual else \
            f"every auto-graded test passed{waiting}"
    return (f"passed {len(exercises) - len(failed)} of {len(exercises)} exercises; "
            f"not yet: {', '.join(failed)}{waiting}")
