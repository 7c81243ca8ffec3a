"""What is graded: any nbgrader source assignment. The course's labs are one kind of it.

An ``Assignment`` is a folder of source notebooks (nbgrader's ``source/<assignment>/``: solution
regions, hidden tests, points) and the files they need. ``from_lab`` makes one from a lab of this
course (with its data, parameters and limits from the syllabus); ``from_source`` makes one from
an instructor's own folder. Grading, sandboxing and the gradebook see only the ``Assignment``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .course import Course, Lab, LabLimits
from .errors import UsageError

IGNORED = {".ipynb_checkpoints", "__pycache__", ".git", ".DS_Store"}
NBGRADER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Every job carries these files as bytes (so it can run anywhere): keep them to what a notebook
# reads, not a dataset library.
MAX_FILES_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    source_dir: Path
    notebooks: tuple[str, ...]
    files: tuple[str, ...] = ()  # the source's other files, restored into every job
    data: str | None = None  # a course dataset (``labdata``), prepared once per run
    grade_parameters: dict = field(default_factory=dict)
    limits: LabLimits = field(default_factory=LabLimits)
    hint_command: str | None = None  # how a learner asks for hints, for the feedback page
    preload: tuple[str, ...] = ()  # imported once per grading worker (see zygote.py)

    @classmethod
    def from_lab(cls, lab: Lab, course: Course) -> Assignment:
        course.require_available(lab)
        return cls(id=lab.id, title=f"Lab {lab.number}: {lab.title}",
                   source_dir=course.solution_dir(lab), notebooks=tuple(lab.notebooks),
                   data=lab.data, grade_parameters=dict(lab.grade_parameters), limits=lab.limits,
                   hint_command=f"mle hint {lab.number}", preload=tuple(lab.preload))

    @classmethod
    def from_source(cls, folder: Path, limits: LabLimits | None = None) -> Assignment:
        """An instructor's nbgrader source folder: its notebooks, and every other file in it."""
        folder = Path(folder)
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder; --source takes an nbgrader source "
                             "assignment, e.g. `mle grade --source course/source/ps1 "
                             "course/submitted --out grading`")
        folder = folder.resolve()
        if not NBGRADER_ID.match(folder.name):
            raise UsageError(f"{folder.name!r} cannot be an nbgrader assignment name (use "
                             "letters, digits, '-', '_' and '.'): rename the folder")
        notebooks = tuple(sorted(p.name for p in folder.glob("*.ipynb")))
        if not notebooks:
            raise UsageError(f"{folder} has no notebooks (*.ipynb): --source takes the folder "
                             "of an assignment's source notebooks, e.g. `mle grade --source "
                             "course/source/ps1 course/submitted --out grading`")
        files = []
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if not path.is_file() or IGNORED & set(relative.parts) or \
                    (len(relative.parts) == 1 and path.suffix == ".ipynb"):
                continue
            files.append(str(relative))
        size = sum((folder / f).stat().st_size for f in files)
        if size > MAX_FILES_BYTES:
            raise UsageError(f"{folder} holds {size / 2**20:.0f} MB of files besides its "
                             f"notebooks; every submission gets a copy, so keep it under "
                             f"{MAX_FILES_BYTES // 2**20} MB")
        return cls(id=folder.name, title=folder.name, source_dir=folder, notebooks=notebooks,
                   files=tuple(files), limits=limits or LabLimits(),
                   preload=imported_modules([folder / n for n in notebooks]))

    def file_bytes(self) -> dict[str, bytes]:
        """The source's own files, as every job receives them (never the learner's copies)."""
        return {name: (self.source_dir / name).read_bytes() for name in self.files}


# Imported at start-up, they would keep state a kernel must find fresh (matplotlib reads its
# config folder once) or start threads before the fork: each kernel imports them itself.
NOT_PRELOADED = {"matplotlib", "IPython", "autograder", "__future__", "multiprocessing",
                 "threading", "asyncio", "concurrent"}


def imported_modules(notebooks: list[Path]) -> tuple[str, ...]:
    """The installed top-level modules that the code cells of ``notebooks`` import: what a
    grading worker can import once for all the submissions (an instructor's own assignment
    names no ``preload`` list, so it is read from the source)."""
    import ast
    import importlib.util
    import sys

    from .errors import NotebookError
    from .notebooks import read_notebook

    found: set[str] = set()
    for path in notebooks:
        try:
            cells = read_notebook(path).cells
        except NotebookError:
            continue  # grading says what is wrong with it
        for cell in cells:
            if cell.cell_type != "code":
                continue
            lines = [line for line in cell.source.splitlines()
                     if not line.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    wanted = []
    for name in sorted(found - NOT_PRELOADED - set(sys.builtin_module_names)):
        try:
            if importlib.util.find_spec(name) is not None:
                wanted.append(name)
        except (ImportError, ValueError):
            continue
    return tuple(wanted)
