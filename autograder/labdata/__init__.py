"""Data builders for the labs: everything a lab reads ships offline with installed packages.

A lab names its builder in ``curriculum/syllabus.yaml`` (``data: flights``). The grader calls
``prepare(name, data_dir, smoke=...)`` once per grading run and copies ``data_dir`` next to each
submission; a learner's notebook calls the same builder through its ``data_dir`` parameter, so the
learner and the grader always see the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

# name -> "module:function"; resolved lazily so importing the toolkit stays cheap.
BUILDERS: dict[str, str] = {
    "flights": "autograder.labdata.flights:prepare",
}


def get_builder(name: str) -> Callable[..., Path]:
    """Return the builder called ``name``; ``KeyError`` names the ones that exist."""
    try:
        target = BUILDERS[name]
    except KeyError:
        raise KeyError(f"no data builder {name!r}; known: {', '.join(sorted(BUILDERS))}") from None
    module_name, _, function = target.partition(":")
    return getattr(import_module(module_name), function)


def prepare(name: str, data_dir: Path, *, smoke: bool) -> Path:
    """Build the data set ``name`` into ``data_dir`` (reusing what is already there)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return get_builder(name)(data_dir, smoke=smoke)
