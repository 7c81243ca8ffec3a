"""Rubric items about the shape of the repository: files, Makefile, test folders, Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

from .rubric import RubricItem

REQUIRED_FILES = ["pyproject.toml", "Makefile", "README.md", "MODEL_CARD.md", "Dockerfile",
                  ".pre-commit-config.yaml", ".gitignore", "LICENSE"]
MAKE_TARGETS = ["install", "test", "lint", "run"]
TEST_FOLDERS = ["tests/code", "tests/data", "tests/model"]
SLIM_BASES = ("slim", "alpine", "distroless", "chainguard")
SERVER_HINTS = re.compile(r"uvicorn|gunicorn|flask run|serve|--port", re.IGNORECASE)


def workflow_files(root: Path) -> list[Path]:
    folder = root / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []


def files_item(root: Path) -> RubricItem:
    expected = [*REQUIRED_FILES, ".github/workflows/*.yml"]
    missing = [f for f in REQUIRED_FILES if not (root / f).is_file()]
    if not workflow_files(root):
        missing.append(".github/workflows/ci.yml")
    return RubricItem.partial("required files", 8, len(expected) - len(missing), len(expected),
                              fix="add " + ", ".join(missing))


def makefile_item(root: Path) -> RubricItem:
    makefile = root / "Makefile"
    text = makefile.read_text() if makefile.is_file() else ""
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, re.MULTILINE))
    missing = [t for t in MAKE_TARGETS if t not in targets]
    fix = "add Makefile targets: " + ", ".join(f"make {t}" for t in missing)
    return RubricItem.partial("Makefile targets", 4, len(MAKE_TARGETS) - len(missing),
                              len(MAKE_TARGETS), fix=fix)


def test_layout_item(root: Path) -> RubricItem:
    missing = [f for f in TEST_FOLDERS if not any((root / f).glob("test_*.py"))]
    return RubricItem.partial(
        "tests split into code / data / model", 4, len(TEST_FOLDERS) - len(missing),
        len(TEST_FOLDERS),
        fix="add test_*.py files under " + ", ".join(missing)
            + " (code behaviour, data contracts, model quality)")


def dockerfile_practices_item(root: Path) -> RubricItem:
    name, dockerfile = "Dockerfile practices", root / "Dockerfile"
    if not dockerfile.is_file():
        return RubricItem.all_or_nothing(name, 4, False, fix="add a Dockerfile")
    text = dockerfile.read_text()
    instructions = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    bases = [line.split()[1] for line in instructions if line.upper().startswith("FROM ")]
    users = [line.split()[1] for line in instructions if line.upper().startswith("USER ")]
    serves = any(line.upper().startswith("EXPOSE") for line in instructions) or bool(
        SERVER_HINTS.search(" ".join(i for i in instructions if i.upper().startswith("CMD"))))
    problems = []
    if not bases or not any(s in bases[-1] for s in SLIM_BASES):
        problems.append("use a slim base image for the final stage (e.g. python:3.11-slim)")
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append("switch to a non-root user (USER 10001) before CMD")
    if serves and not any(i.upper().startswith("HEALTHCHECK") for i in instructions):
        problems.append("the image serves traffic: add a HEALTHCHECK")
    return RubricItem.partial(name, 4, 3 - len(problems), 3, fix="\n".join(problems),
                              detail="serving image" if serves else "batch image")
