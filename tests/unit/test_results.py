"""Turning an executed notebook's outputs into per-exercise results and messages."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_output

from autograder.gradebook import CellGrade
from autograder.notebooks import Exercise, GradeCell
from autograder.results import exercise_results


def cell(grade_id, *, grade, ename=None, evalue="", stream=None, result=None):
    code = new_code_cell("...", metadata={"nbgrader": {"grade_id": grade_id, "grade": grade,
                                                       "solution": not grade}})
    if ename:
        code.outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=[]))
    if stream:
        code.outputs.append(new_output("stream", name=stream, text="warning!"))
    return code


def results_for(cells, grades):
    notebook = nbformat.v4.new_notebook(cells=cells)
    exercise = Exercise("ex01", "Query", ["sql"], ["ex01-answer"],
                        [GradeCell(g.grade_id, g.max_score) for g in grades])
    return exercise_results(notebook, [exercise], grades)[0]


def test_unanswered_constant_reads_as_not_answered():
    result = results_for(
        [cell("ex01-answer", grade=False, ename="NotImplementedError"),
         cell("ex01-tests", grade=True, ename="NameError", evalue="name 'SQL_X' is not defined")],
        [CellGrade("ex01-tests", 0, 2)])
    [test] = result.cells
    assert test.status == "failed"
    assert test.message.startswith("not answered yet") and "SQL_X" in test.message


def test_statuses_and_messages():
    result = results_for(
        [cell("ex01-answer", grade=False),
         cell("ex01-tests", grade=True, ename="AssertionError", evalue="rows should be 3\nmore"),
         cell("ex01-tests-b", grade=True, ename="KeyError", evalue="'origin'"),
         cell("ex01-tests-c", grade=True, stream="stderr"),
         cell("ex01-tests-d", grade=True),
         cell("ex01-tests-e", grade=True),
         cell("ex01-tests-f", grade=True, ename="AssertionError",
              evalue="could not load the model:\n  ValueError: bad pickle\n  more")],
        [CellGrade("ex01-tests", 0, 1), CellGrade("ex01-tests-b", 0, 1),
         CellGrade("ex01-tests-c", 0, 1), CellGrade("ex01-tests-d", 1, 1),
         CellGrade("ex01-tests-e", 0.5, 2), CellGrade("ex01-tests-f", 0, 1)])
    got = {c.grade_id: (c.status, c.message) for c in result.cells}
    assert got["ex01-tests"] == ("failed", "rows should be 3")
    assert got["ex01-tests-f"] == ("failed", "could not load the model: ValueError: bad pickle")
    assert got["ex01-tests-b"] == ("error", "KeyError: 'origin'")
    assert got["ex01-tests-c"][0] == "failed" and "stderr" in got["ex01-tests-c"][1]
    assert got["ex01-tests-d"] == ("passed", "")
    assert got["ex01-tests-e"][0] == "partial"
    assert (result.points, result.max_points, result.status) == (1.5, 7, "partial")
