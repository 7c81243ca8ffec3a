"""Signs that a submission tried to change how it is graded, for the instructor to act on.

None of these tricks earns anything (sanitising restores every locked cell, the kernel imports
only the grader's copy of the check helpers, and each job has its own HOME), so the submission
is still scored on its answers. But an instructor wants to know who tried: such a submission is
reported as ``flagged``, with a message that says what was found.

Status precedence, when a submission is several things at once: ``invalid`` and ``missing``
(nothing ran) > ``flagged`` (a person must look) > ``error`` > ``timeout`` > ``graded``. The
message always lists every finding, so a flagged submission that also timed out says both.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from nbformat import NotebookNode

from .notebooks import nbgrader_meta
from .sandbox import PRISTINE_STARTUP

PRECEDENCE = ("invalid", "missing", "flagged", "error", "timeout", "graded")
# Files that, next to a notebook, would change what Python or IPython load.
SHADOWING = {"autograder", "sitecustomize.py", "usercustomize.py", ".ipython", ".jupyter",
             "ipython_config.py", "ipython_kernel_config.py", "jupyter_config.py"}
MODULE_SUFFIXES = {".py", ".pth", ".so", ".pyc"}


def worst(*statuses: str) -> str:
    """The status that wins by :data:`PRECEDENCE`."""
    return min(statuses, key=PRECEDENCE.index)


def notebook_findings(submitted: NotebookNode, release: NotebookNode | None) -> list[str]:
    """Duplicate grade ids, and locked or test cells whose source was edited."""
    findings = []
    ids = Counter(nbgrader_meta(c).get("grade_id") for c in submitted.cells
                  if nbgrader_meta(c).get("grade_id"))
    for grade_id, count in sorted(ids.items()):
        if count > 1:
            findings.append(f"{count} cells claim the grade id {grade_id!r} (one was kept)")
    if release is None:
        return findings
    locked = {nbgrader_meta(c)["grade_id"]: c.source for c in release.cells
              if nbgrader_meta(c).get("grade_id") and
              (nbgrader_meta(c).get("locked") or nbgrader_meta(c).get("grade"))
              and not nbgrader_meta(c).get("solution")}
    edited = sorted({nbgrader_meta(c)["grade_id"] for c in submitted.cells
                     if nbgrader_meta(c).get("grade_id") in locked
                     and _normal(c.source) != _normal(locked[nbgrader_meta(c)["grade_id"]])})
    if edited:
        findings.append(f"locked cell(s) {', '.join(edited)} were edited (restored from the "
                        "source before grading)")
    return findings


def drop_duplicate_ids(notebook: NotebookNode) -> NotebookNode:
    """Keep the first cell of each grade id; later ones become plain cells (learner code).

    A second cell claiming a test's grade id must not replace the test, nor make nbgrader
    reject the whole notebook."""
    seen: set[str] = set()
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in seen:
            cell.metadata.pop("nbgrader", None)
        elif grade_id:
            seen.add(grade_id)
    return notebook


def folder_findings(folder: Path, notebooks: list[str]) -> list[str]:
    """Files shipped beside the notebooks that would shadow the grader's or Python's modules."""
    shadows = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name in notebooks:
            continue
        if path.name in SHADOWING or path.suffix in MODULE_SUFFIXES or \
                (path.is_dir() and (path / "__init__.py").exists()):
            shadows.append(path.name + ("/" if path.is_dir() else ""))
    if not shadows:
        return []
    return [f"the submission ships {', '.join(shadows[:5])}, which would shadow modules the "
            "grader imports (ignored: only the notebooks are used)"]


def home_findings(home: Path) -> list[str]:
    """After a run: did the notebook plant IPython startup files in its HOME?"""
    planted = sorted(p.name for p in home.glob(".ipython/profile_*/startup/*")
                     if p.is_file() and p.name not in ("README", PRISTINE_STARTUP))
    if not planted:
        return []
    return [f"the notebook wrote IPython startup file(s) {', '.join(planted[:3])} (harmless "
            "here: every submission has its own HOME)"]


def run_findings(executed: NotebookNode) -> list[str]:
    """After a run: did a grade cell refuse to run because the environment was changed?"""
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            if output.get("ename") == "GradingEnvironmentChanged":
                what = output.get("evalue", "").split(", which")[0].removeprefix("the notebook ")
                return [f"the notebook {what} (the tests after it could not pass)"]
    return []


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())
