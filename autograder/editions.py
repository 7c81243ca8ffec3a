"""Lab editions: when a lab improves, a learner's half-done copy moves to the new edition.

A lab's edition is the newest entry of its ``changelog`` in the syllabus (1 without one), and
``mle release`` writes it into every released notebook (``metadata.mle.edition``). A learner's
copy in ``work/`` keeps the edition it was started from. ``mle list`` and ``mle check`` say when
a newer one exists, and ``mle upgrade LAB``:

* keeps the learner's copy, untouched, in ``work/<lab>/previous-editions/`` (never overwriting
  an earlier one),
* writes the new edition in its place, with every answer the learner wrote carried into the
  answer cell with the same id (an answer still at its starting stub takes the new stub), and
  the cells they added themselves kept after the cell they followed,
* and lists the exercises whose task changed, so the learner re-reads those.

Progress records are not touched: scores already earned stay in ``mle progress``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .course import Course, Lab
from .errors import UsageError
from .notebooks import nbgrader_meta, read_notebook
from .settings import Settings

BACKUPS = "previous-editions"
STUB_MARKERS = ("YOUR CODE HERE", "YOUR ANSWER HERE")


def edition_of(notebook: NotebookNode) -> int:
    """The edition a notebook was released as (copies from before editions existed: 1)."""
    try:
        return int(notebook.metadata.get("mle", {}).get("edition", 1))
    except (TypeError, ValueError):
        return 1


def outdated(course: Course, lab: Lab) -> int | None:
    """The edition of the learner's copy of ``lab`` if it is older than the lab's, else None."""
    editions = []
    for name in lab.notebooks:
        path = course.work_dir(lab) / name
        if path.is_file():
            try:
                editions.append(edition_of(read_notebook(path)))
            except Exception:  # a damaged copy: mle check says so on its own
                continue
    oldest = min(editions, default=lab.edition)
    return oldest if oldest < lab.edition else None


def notice(course: Course, lab: Lab) -> str | None:
    """One line for a learner whose copy is from an older edition, or None."""
    yours = outdated(course, lab)
    if yours is None:
        return None
    return (f"Edition {lab.edition} of {lab.id} is out (your copy is edition {yours}): "
            f"`mle upgrade {lab.number}` moves your answers into it and keeps your copy.")


@dataclass
class Upgraded:
    lab: Lab
    from_edition: int
    carried: list[str] = field(default_factory=list)  # answer cells moved into the new edition
    fresh: list[str] = field(default_factory=list)  # still at their stub: the new stub is used
    own_cells: int = 0  # cells the learner added, kept
    backups: list[Path] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # exercises whose task changed since


def upgrade_lab(*, lab: str, settings: Settings | None = None) -> Upgraded:
    course = Course(settings)
    the_lab = course.lab(lab)
    course.require_released(the_lab)
    yours = outdated(course, the_lab)
    if yours is None:
        if not course.work_dir(the_lab).exists():
            raise UsageError(f"you have not started {the_lab.id}: `mle start {the_lab.number}` "
                             "copies its newest edition into work/")
        raise UsageError(f"your copy of {the_lab.id} is already edition {the_lab.edition}, the "
                         f"newest: nothing to upgrade (`mle check {the_lab.number}` to check it)")
    result = Upgraded(the_lab, yours)
    for name in the_lab.notebooks:
        path = course.work_dir(the_lab) / name
        release = read_notebook(course.release_dir(the_lab) / name)
        if not path.is_file():
            continue
        old = read_notebook(path)
        if edition_of(old) >= the_lab.edition:
            continue
        merged = _merge(old, release, result)
        backup = _backup_path(course.work_dir(the_lab) / BACKUPS, name, edition_of(old))
        backup.parent.mkdir(parents=True, exist_ok=True)
        path.rename(backup)  # the learner's file itself, byte for byte
        nbformat.write(merged, path)
        result.backups.append(backup)
    result.changed = sorted({exercise for change in the_lab.changelog if change.edition > yours
                             for exercise in change.exercises})
    return result


def _merge(old: NotebookNode, release: NotebookNode, result: Upgraded) -> NotebookNode:
    """The new edition's cells, with the learner's answers and own cells carried over."""
    answers = {nbgrader_meta(c)["grade_id"]: c for c in old.cells
               if nbgrader_meta(c).get("solution") and nbgrader_meta(c).get("grade_id")}
    merged = nbformat.from_dict(release)
    for cell in merged.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not nbgrader_meta(cell).get("solution") or grade_id not in answers:
            continue
        theirs = answers[grade_id]
        if _untouched(theirs) or theirs.cell_type != cell.cell_type:
            result.fresh.append(grade_id)
            continue
        cell.source = theirs.source
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        result.carried.append(grade_id)
    _keep_own_cells(old, release, merged, result)
    return merged


def _untouched(cell: NotebookNode) -> bool:
    """Still the stub it was released with: nbgrader's marker and (code) the raise under it."""
    source = cell.source
    if not any(marker in source for marker in STUB_MARKERS):
        return False
    return cell.cell_type != "code" or "raise NotImplementedError" in source


def _keep_own_cells(old: NotebookNode, release: NotebookNode, merged: NotebookNode,
                    result: Upgraded) -> None:
    """Cells the learner added (not from any release) go after the cell they followed."""
    released_ids = {c.get("id") for c in release.cells}
    known = {c.get("id") for c in old.cells if nbgrader_meta(c).get("grade_id")} | released_ids
    anchor, inserts = None, []
    for cell in old.cells:
        if cell.get("id") in released_ids:
            anchor = cell.get("id")
        elif cell.get("id") not in known and not nbgrader_meta(cell):
            inserts.append((anchor, cell))
    for anchor, cell in reversed(inserts):
        position = next((i + 1 for i, c in enumerate(merged.cells) if c.get("id") == anchor),
                        len(merged.cells))
        merged.cells.insert(position, cell)
        result.own_cells += 1


def _backup_path(folder: Path, name: str, edition: int) -> Path:
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate = folder / f"{stem}.edition{edition}{suffix}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}.edition{edition}-{number}{suffix}"
        number += 1
    return candidate
