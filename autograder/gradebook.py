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


def generate(*, assignment_id: str, source_dir: Path, release_dir: Path | None,
             gradebook: Path, course_root: Path | None = None) -> None:
    """Run nbgrader's generate_assignment on ``source_dir``.

    The assignment's cells (hidden tests included) are recorded in ``gradebook``. With
    ``course_root`` the run happens in that nbgrader course folder (its ``source/`` and
    ``release/`` are updated, as an instructor's own nbgrader would); otherwise in a throw-away
    one. The release is also copied to ``release_dir`` (replacing its notebooks) when given.
    """
    _ensure_alembic_on_path()
    Path(gradebook).parent.mkdir(parents=True, exist_ok=True)
    if course_root is not None:
        _generate_in(Path(course_root), assignment_id, source_dir, release_dir, gradebook)
        return
    with tempfile.TemporaryDirectory(prefix="mle-release-") as scratch:
        _generate_in(Path(scratch), assignment_id, source_dir, release_dir, gradebook)


def _generate_in(root: Path, assignment_id: str, source_dir: Path, release_dir: Path | None,
                 gradebook: Path) -> None:
    from nbgrader.apps import NbGraderAPI

    source = root / "source" / assignment_id
    if Path(source_dir).resolve() != source.resolve():
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(source_dir, source,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    api = NbGraderAPI(config=course_config(root, gradebook))
    api.log.setLevel(logging.ERROR)
    result = api.generate_assignment(assignment_id, force=True, create=True)
    if not result.get("success"):
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()
        raise SetupError(f"nbgrader could not generate {assignment_id}: "
                         f"{detail[-1] if detail else 'no details'}")
    if release_dir is not None:
        release_dir.mkdir(parents=True, exist_ok=True)
        for produced in (root / "release" / assignment_id).iterdir():
            target = release_dir / produced.name
            if produced.is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(produced, target)
            else:
                shutil.copyfile(produced, target)


def course_config(root: Path, gradebook: Path):
    """nbgrader's configuration for a course folder at ``root`` with ``gradebook``."""
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.db_url = db_url(gradebook)
    config.IncludeHeaderFooter.header = ""
    return config


def write_course_config(root: Path, gradebook: Path) -> Path:
    """``nbgrader_config.py`` in ``root``, so ``nbgrader formgrader`` run there finds this
    course's gradebook and its ``autograded/`` notebooks (manual grading goes on there)."""
    path = Path(root) / "nbgrader_config.py"
    path.write_text(
        "# Written by `mle grade`: this folder is an nbgrader course. Run `nbgrader formgrader`\n"
        "# (or JupyterLab's Formgrader) here to grade manually graded answers.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + Path(gradebook).name!r}\n", encoding="utf-8")
    return path


def _resources(assignment_id: str, notebook: str, student: str, gradebook: Path) -> dict:
    return {"nbgrader": {"db_url": db_url(gradebook), "assignment": assignment_id,
                         "notebook": Path(notebook).stem, "student": student}}


def sanitize(notebook: NotebookNode, *, assignment_id: str, notebook_name: str, student: str,
             gradebook: Path) -> NotebookNode:
    """nbgrader's autograde sanitising, in nbgrader's order, before any code runs."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    resources = _resources(assignment_id, notebook_name, student, gradebook)
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
    needs_manual: bool = False  # a manually graded answer nobody has graded yet


def _quiet_sqlalchemy() -> None:
    """nbgrader's models make SQLAlchemy 2.1 warn on every submission (known, harmless)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def register_submission(*, assignment_id: str, student: str, gradebook: Path,
                        timestamp: str | None = None) -> None:
    """Make sure the student and their submission (with nbgrader's ``timestamp.txt`` value,
    if it had one) exist in the gradebook."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    _quiet_sqlalchemy()
    with Gradebook(db_url(gradebook), COURSE_ID) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment_id, student,
                                       timestamp=parse_utc(timestamp) if timestamp else None)


def save_grades(notebook: NotebookNode, *, assignment_id: str, notebook_name: str, student: str,
                gradebook: Path) -> list[CellGrade]:
    """Record an executed submission's autograder scores; return what the gradebook holds."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades

    resources = _resources(assignment_id, notebook_name, student, gradebook)
    step = SaveAutoGrades()
    step.log.setLevel(logging.ERROR)
    step.preprocess(notebook, resources)
    grades = []
    with Gradebook(db_url(gradebook), COURSE_ID) as gb:
        submitted = gb.find_submission_notebook(Path(notebook_name).stem, assignment_id, student)
        for grade in submitted.grades:
            grades.append(CellGrade(grade.name, float(grade.score or 0.0),
                                    float(grade.max_score), bool(grade.needs_manual_grade)))
    return grades


def cell_scores(*, assignment_id: str, gradebook: Path) -> dict[str, dict[str, float]]:
    """Every graded student's score per grade cell of ``assignment_id``, from the gradebook."""
    from nbgrader.api import Gradebook

    _quiet_sqlalchemy()
    scores: dict[str, dict[str, float]] = {}
    with Gradebook(db_url(gradebook), COURSE_ID) as gb:
        for submission in gb.find_assignment(assignment_id).submissions:
            per_cell = scores.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    per_cell[grade.name] = float(grade.score or 0.0)
    return scores
