"""The one module that talks to nbgrader (and so to traitlets).

It does three things, each with nbgrader's own machinery so that grades mean exactly what
nbgrader says they mean:

* ``generate`` — ``nbgrader generate_assignment`` from a lab's source notebooks: the
  learner's release, and the assignment's cells (hidden tests included) in a gradebook;
* ``sanitize`` — nbgrader's autograde "sanitise" steps on a submission *before* anything runs:
  outputs cleared, kernelspec and every locked/grade cell restored from the gradebook, missing
  grade cells added back;
* ``save_grades`` — nbgrader's ``SaveAutoGrades`` on an executed submission, then read back
  the scores the gradebook holds.

Only the grading parent process calls ``sanitize`` and ``save_grades``: the gradebook has a
single writer however many workers run submissions.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from .errors import NotebookError, SetupError

COURSE_ID = "ml-engineer-labs"
_LOG = logging.getLogger("autograder.nbgrader")


def db_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def _ensure_alembic_on_path() -> None:
    """nbgrader runs the ``alembic`` executable when it creates a gradebook."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def generate(*, lab_id: str, source_dir: Path, release_dir: Path | None, gradebook: Path) -> None:
    """Run nbgrader's generate_assignment on ``source_dir`` in a throw-away course folder.

    The release goes to ``release_dir`` (replacing its notebooks) when given; the
    assignment's cells are recorded in ``gradebook``.
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    _ensure_alembic_on_path()
    with tempfile.TemporaryDirectory(prefix="mle-release-") as scratch:
        root = Path(scratch)
        shutil.copytree(source_dir, root / "source" / lab_id,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        config = Config()
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.course_id = COURSE_ID
        config.CourseDirectory.db_url = db_url(gradebook)
        config.IncludeHeaderFooter.header = ""
        api = NbGraderAPI(config=config)
        api.log.setLevel(logging.ERROR)
        result = api.generate_assignment(lab_id, force=True, create=True)
        if not result.get("success"):
            detail = (result.get("error") or result.get("log") or "").strip().splitlines()
            raise SetupError(f"nbgrader could not generate {lab_id}: "
                             f"{detail[-1] if detail else 'no details'}")
        if release_dir is not None:
            release_dir.mkdir(parents=True, exist_ok=True)
            for produced in (root / "release" / lab_id).iterdir():
                target = release_dir / produced.name
                if produced.is_dir():
                    shutil.rmtree(target, ignore_errors=True)
                    shutil.copytree(produced, target)
                else:
                    shutil.copyfile(produced, target)


def _resources(lab_id: str, notebook: str, student: str, gradebook: Path) -> dict:
    return {"nbgrader": {"db_url": db_url(gradebook), "assignment": lab_id,
                         "notebook": Path(notebook).stem, "student": student}}


def sanitize(notebook: NotebookNode, *, lab_id: str, notebook_name: str, student: str,
             gradebook: Path) -> NotebookNode:
    """nbgrader's autograde sanitising, in nbgrader's order, before any code runs."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    resources = _resources(lab_id, notebook_name, student, gradebook)
    steps = [ClearOutput(), DeduplicateIds(), OverwriteKernelspec(),
             OverwriteCells(add_missing_cells=True), CheckCellMetadata()]
    try:
        for step in steps:
            step.log.setLevel(logging.ERROR)
            notebook, resources = step.preprocess(notebook, resources)
    except Exception as error:  # nbgrader raises bare Exceptions and its own types
        message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise NotebookError(f"{notebook_name}: nbgrader cannot use this notebook ({message}); "
                            "its grading cells may have been changed — start from a fresh copy "
                            "and paste your answers in") from None
    for index, cell in enumerate(notebook.cells):  # cells nbgrader added back have no id
        cell.setdefault("id", f"mle-restored-{index}")
    return notebook


@dataclass
class CellGrade:
    grade_id: str
    score: float
    max_score: float


def _quiet_sqlalchemy() -> None:
    """nbgrader's models make SQLAlchemy 2.1 warn on every submission (known, harmless)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def register_submission(*, lab_id: str, student: str, gradebook: Path) -> None:
    """Make sure the student and their submission exist in the gradebook."""
    from nbgrader.api import Gradebook

    _quiet_sqlalchemy()
    with Gradebook(db_url(gradebook), COURSE_ID) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(lab_id, student)


def save_grades(notebook: NotebookNode, *, lab_id: str, notebook_name: str, student: str,
                gradebook: Path) -> list[CellGrade]:
    """Record an executed submission's autograder scores; return what the gradebook holds."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades

    resources = _resources(lab_id, notebook_name, student, gradebook)
    step = SaveAutoGrades()
    step.log.setLevel(logging.ERROR)
    step.preprocess(notebook, resources)
    grades = []
    with Gradebook(db_url(gradebook), COURSE_ID) as gb:
        submitted = gb.find_submission_notebook(Path(notebook_name).stem, lab_id, student)
        for grade in submitted.grades:
            grades.append(CellGrade(grade.name, float(grade.score or 0.0),
                                    float(grade.max_score)))
    return grades


def cell_scores(*, lab_id: str, gradebook: Path) -> dict[str, dict[str, float]]:
    """Every graded student's score per grade cell of ``lab_id``, as the gradebook holds them."""
    from nbgrader.api import Gradebook

    _quiet_sqlalchemy()
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(db_url(gradebook), COURSE_ID) as gb:
        for submission in gb.find_assignment(lab_id).submissions:
            per_cell = scores.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    per_cell[grade.name] = float(grade.score or 0.0)
    return scores
