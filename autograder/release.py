"""Releasing labs: ``labs/<lab>/`` generated from ``solutions/<lab>/`` by nbgrader."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import nbformat

from . import gradebook
from .course import Course, Lab
from .settings import Settings


def release_lab(*, lab: str, settings: Settings | None = None, dest: Path | None = None) -> Path:
    """Generate the learner's copy of ``lab`` (into ``labs/<lab>/``, or ``dest``)."""
    course = Course(settings)
    the_lab = course.lab(lab)
    course.require_available(the_lab)
    target = dest or course.release_dir(the_lab)
    with tempfile.TemporaryDirectory(prefix="mle-gradebook-") as scratch:
        gradebook.generate(assignment_id=the_lab.id, source_dir=course.solution_dir(the_lab),
                           release_dir=target, gradebook=Path(scratch) / "gradebook.db")
    for name in the_lab.notebooks:  # which edition a learner's copy is (see editions.py)
        path = target / name
        notebook = nbformat.read(path, as_version=4)
        notebook.metadata["mle"] = {"lab": the_lab.id, "edition": the_lab.edition}
        nbformat.write(notebook, path)
    return target


def release_is_current(*, lab: Lab, course: Course) -> list[str]:
    """The released notebooks that differ from a fresh release; empty when up to date."""
    with tempfile.TemporaryDirectory(prefix="mle-release-check-") as scratch:
        fresh = release_lab(lab=lab.id, settings=course.settings, dest=Path(scratch))
        stale = []
        for name in lab.notebooks:
            committed = course.release_dir(lab) / name
            if not committed.is_file() or _load(committed) != _load(fresh / name):
                stale.append(name)
        return stale


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
