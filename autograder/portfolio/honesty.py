"""Rubric items that catch evidence which looks like more than it is.

A green test suite, a CI badge and a clean linter are what a hiring engineer glances at;
each can be faked cheaply. These items read the project instead of running it:

- tests that cannot fail: a test function with no check at all (no ``assert``, no
  ``pytest.raises``, no ``assert_*``/``check*``/``expect*``/``*validate*`` call that raises
  on failure, no ``raise``), or whose only assertions are constants (``assert True``);
- a CI workflow that runs no tests;
- a linter silenced by the project's own configuration (``ignore = ["ALL"]``, nothing
  selected, the code itself excluded).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import yaml

from .layout import workflow_files
from .rubric import RubricItem

SHOWN = 5
TEST_COMMANDS = ("pytest", "make test", "tox", "nox", "hatch test", "unittest")


def _test_functions(root: Path):
    for path in sorted((root / "tests").rglob("test_*.py")) if (root / "tests").is_dir() else []:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue  # the test run reports it
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    node.name.startswith("test"):
                yield path.relative_to(root).as_posix(), node


def _checks(function: ast.AST) -> tuple[int, int]:
    """(real checks, constant asserts) in a test function's body."""
    real = constant = 0
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            if isinstance(node.test, ast.Constant):
                constant += 1
            else:
                real += 1
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("raises", "warns", "fail") or "validate" in name or \
                    name.startswith(("assert", "check", "expect", "verify")):
                real += 1  # pytest.raises, a helper that raises, model_validate, ...
        elif isinstance(node, ast.Raise):
            real += 1  # a test that raises AssertionError itself
    return real, constant


def hollow_tests_item(root: Path) -> RubricItem:
    name = "tests can fail (each has a real assertion)"
    found = list(_test_functions(root))
    if not found:
        return RubricItem.all_or_nothing(name, 8, False, fix="add tests under tests/")
    hollow = []
    for where, function in found:
        real, constant = _checks(function)
        if not real:
            why = "only asserts a constant" if constant else "asserts nothing"
            hollow.append(f"{where}::{function.name} ({why})")
    shown = "; ".join(hollow[:SHOWN]) + (f"; and {len(hollow) - SHOWN} more"
                                         if len(hollow) > SHOWN else "")
    # Two points off per hollow test: padding a suite with a few of them must cost something,
    # however many real tests surround them.
    return RubricItem(name, 8, max(0, 8 - 2 * len(hollow)), not hollow,
                      fix=f"a test that cannot fail proves nothing: {shown}" if hollow else "",
                      detail=f"{len(found) - len(hollow)} of {len(found)} tests assert something")


def ci_runs_tests_item(root: Path) -> RubricItem:
    name = "CI runs the tests"
    commands = []
    for path in workflow_files(root):
        try:
            workflow = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue  # the schema item reports it
        for job in (workflow.get("jobs") or {}).values():
            for step in (job or {}).get("steps") or []:
                if isinstance(step, dict) and isinstance(step.get("run"), str):
                    commands.append(step["run"])
    ok = any(word in command for command in commands for word in TEST_COMMANDS)
    return RubricItem.all_or_nothing(
        name, 4, ok, fix="no workflow step runs the tests: add one that runs `make test` (or "
                         "`pytest`) to .github/workflows/, so a red test blocks a merge")


def lint_not_silenced_item(root: Path) -> RubricItem:
    name = "the linter is not silenced by its own config"
    problems = []
    pyproject = root / "pyproject.toml"
    ruff_config = {}
    for path in (root / "ruff.toml", root / ".ruff.toml"):
        if path.is_file():
            ruff_config = tomllib.loads(path.read_text(encoding="utf-8"))
    if not ruff_config and pyproject.is_file():
        ruff_config = tomllib.loads(pyproject.read_text(encoding="utf-8")).get(
            "tool", {}).get("ruff", {})
    lint = {**ruff_config, **ruff_config.get("lint", {})}
    if "ALL" in lint.get("ignore", []) or "ALL" in lint.get("extend-ignore", []):
        problems.append('ignore = ["ALL"] turns every rule off')
    if "select" in lint and not lint["select"]:
        problems.append("select = [] checks nothing")
    for pattern in [*ruff_config.get("exclude", []), *ruff_config.get("extend-exclude", [])]:
        if pattern.strip("/*") in ("src", "tests", "."):
            problems.append(f"exclude {pattern!r} hides the project's own code")
    for pattern, rules in (lint.get("per-file-ignores") or {}).items():
        if "ALL" in rules and pattern.strip("/*") in ("src", "tests", "", "*.py"):
            problems.append(f"per-file-ignores {pattern!r} = ALL")
    return RubricItem.all_or_nothing(
        name, 4, not problems, fix="; ".join(problems) + ": fix the findings instead, or "
        "ignore one rule for one line with `# noqa: CODE` and say why")
