"""Helpers the test modules share: building submissions from a lab's release."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.notebooks import fill_answers, read_notebook


def solved(root: Path, lab_id: str, notebook: str, overrides: dict[str, str] | None = None):
    """The released notebook with answers from the source (some replaced by ``overrides``)."""
    release = read_notebook(root / "labs" / lab_id / notebook)
    source = read_notebook(root / "solutions" / lab_id / notebook)
    return fill_answers(release, source, overrides)


def write_submission(folder: Path, student: str, notebook: str, content) -> Path:
    path = folder / student / notebook
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        nbformat.write(content, path)
    return path
