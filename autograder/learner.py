"""What a learner does between checks: see the labs, start one, ask for a hint."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from . import editions, progress
from .course import Course, Lab
from .errors import UsageError
from .notebooks import exercises, read_notebook
from .settings import Settings


@dataclass
class LabStatus:
    lab: Lab
    status: str  # coming soon, not started, started, attempted
    best: tuple[float, float] | None
    notice: str | None = None  # a newer edition than the learner's copy exists


def list_labs(*, settings: Settings | None = None) -> list[LabStatus]:
    course = Course(settings)
    best = progress.best_scores(course)
    rows = []
    for lab in course.labs:
        if not course.is_available(lab):
            status = "coming soon"
        elif lab.id in best:
            status = "attempted"
        elif course.work_dir(lab).exists():
            status = "started"
        else:
            status = "not started"
        notice = editions.notice(course, lab) if status in ("started", "attempted") else None
        rows.append(LabStatus(lab, status, best.get(lab.id), notice))
    return rows


@dataclass
class Started:
    folder: Path
    copied: list[str]
    kept: list[str]


def start_lab(*, lab: str, settings: Settings | None = None) -> Started:
    """Copy the released lab into ``work/<lab>/``; files that exist there are never replaced."""
    course = Course(settings)
    the_lab = course.lab(lab)
    course.require_released(the_lab)
    source, target = course.release_dir(the_lab), course.work_dir(the_lab)
    copied, kept = [], []
    for path in sorted(source.rglob("*")):
        if path.is_dir() or ".ipynb_checkpoints" in path.parts:
            continue
        relative = path.relative_to(source)
        destination = target / relative
        if destination.exists():
            kept.append(str(relative))
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        copied.append(str(relative))
    return Started(target, copied, kept)


def hints(*, lab: str, exercise: str, level: int = 1,
          settings: Settings | None = None) -> tuple[str, list[tuple[str, str]], int]:
    """The exercise's title, its hints up to ``level``, and how many levels there are."""
    course = Course(settings)
    the_lab = course.lab(lab)
    course.require_available(the_lab)
    wanted = exercise.strip().lower()
    if wanted.isdigit():
        wanted = f"ex{int(wanted):02d}"
    for name in the_lab.notebooks:
        for found in exercises(read_notebook(course.solution_dir(the_lab) / name)):
            if found.id == wanted:
                return found.title, found.hints[:max(level, 1)], len(found.hints)
    known = ", ".join(e.id for n in the_lab.notebooks
                      for e in exercises(read_notebook(course.solution_dir(the_lab) / n)))
    raise UsageError(f"{the_lab.id} has no exercise {exercise!r}; its exercises are {known}, "
                     f"e.g. `mle hint {the_lab.number} ex01`")
