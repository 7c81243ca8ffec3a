"""A learner's self-check: ``check_lab`` grades their working copy exactly as the instructor
will (same sanitising, same hidden tests, same grader), prints no test code, and records the
attempt in their progress."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import progress
from .course import Course
from .errors import UsageError
from .executors import InProcessExecutor
from .grade import grade_cohort
from .results import GradeResult
from .settings import Settings

LEARNER = "me"


def check_lab(*, lab: str, notebook: Path | None = None, settings: Settings | None = None,
              timeout: float | None = None, sandbox: str = "none") -> GradeResult:
    """Grade the learner's notebook for ``lab`` (default: the copy in ``work/<lab>/``).

    A learner checks their own code on their own machine, so no sandbox by default (each
    check still gets its own folder, allow-listed environment and child reaper)."""
    course = Course(settings)
    the_lab = course.lab(lab)
    course.require_available(the_lab)
    sources = notebooks_to_check(course, the_lab, notebook)
    with tempfile.TemporaryDirectory(prefix="mle-check-") as scratch:
        submitted = Path(scratch) / "submissions" / LEARNER
        submitted.mkdir(parents=True)
        for name, path in sources.items():
            if path.exists():
                shutil.copyfile(path, submitted / name)
        [result] = grade_cohort(lab=the_lab.id, submissions=submitted.parent,
                                out=check_dir(course, the_lab.id), settings=course.settings,
                                timeout=timeout, executor=InProcessExecutor(reuse_kernels=True),
                                progress=False,
                                sandbox=sandbox, summaries=False)
    progress.record(course, result)
    return result


def check_dir(course: Course, lab_id: str) -> Path:
    """Where a learner's checks keep their gradebook (reused) and latest feedback."""
    return course.settings.state_path / "check" / lab_id


def notebooks_to_check(course: Course, lab, notebook: Path | None) -> dict[str, Path]:
    """The learner's notebooks for ``lab`` by name; a clear error if there is nothing to check."""
    if notebook is not None:
        if len(lab.notebooks) != 1:
            raise UsageError(f"{lab.id} has several notebooks; check them all with "
                             f"`mle check {lab.number}` (it reads {course.work_dir(lab)})")
        if not notebook.is_file():
            example = course.work_dir(lab) / lab.notebooks[0]
            raise UsageError(f"{notebook} does not exist; give the path of your notebook, e.g. "
                             f"`mle check {lab.number} --notebook {example}`")
        return {lab.notebooks[0]: notebook}
    folder = course.work_dir(lab)
    paths = {name: folder / name for name in lab.notebooks}
    if not any(p.exists() for p in paths.values()):
        raise UsageError(f"you have not started {lab.id} yet (nothing in {folder}); run "
                         f"`mle start {lab.number}` first, or pass --notebook PATH")
    return paths
