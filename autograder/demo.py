"""``mle demo``: the whole loop on a small cohort, from release to feedback, in one command."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from .course import Course
from .grade import grade_cohort
from .notebooks import fill_answers, nbgrader_meta, read_notebook
from .release import release_lab
from .results import GradeResult
from .sandbox import find_bwrap
from .settings import Settings

COHORT = {
    "ada-correct": "every answer from the solution",
    "ben-blank": "the notebook as released, nothing answered",
    "cy-partial": "the first half of the answers, the rest left blank",
    "dee-broken": "a notebook file cut off half-way (invalid JSON)",
}


def run_demo(*, out: Path, lab: str = "1", settings: Settings | None = None,
             workers: int | None = None) -> list[GradeResult]:
    """Release ``lab`` into ``out/release``, build a four-student cohort, grade it."""
    course = Course(settings)
    the_lab = course.lab(lab)
    release = release_lab(lab=the_lab.id, settings=course.settings,
                          dest=out / "release" / the_lab.id)
    submissions = out / "submissions"
    shutil.rmtree(submissions, ignore_errors=True)
    for name in the_lab.notebooks:
        released = read_notebook(release / name)
        source = read_notebook(course.solution_dir(the_lab) / name)
        answers = [nbgrader_meta(c)["grade_id"] for c in source.cells
                   if nbgrader_meta(c).get("solution")]
        released_answers = {nbgrader_meta(c)["grade_id"]: c.source for c in released.cells
                            if nbgrader_meta(c).get("solution")}
        half = {a: released_answers[a] for a in answers[len(answers) // 2:]}
        cohort = {
            "ada-correct": nbformat.writes(fill_answers(released, source)),
            "ben-blank": nbformat.writes(released),
            "cy-partial": nbformat.writes(fill_answers(released, source, half)),
        }
        cohort["dee-broken"] = cohort["ada-correct"][: len(cohort["ada-correct"]) // 2]
        for student, text in cohort.items():
            folder = submissions / student
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    # the demo's cohort is made by the course itself: sandbox it where we can, never refuse
    return grade_cohort(lab=the_lab.id, submissions=submissions, out=out / "grading",
                        settings=course.settings, workers=workers,
                        sandbox="bwrap" if find_bwrap() else "none")
