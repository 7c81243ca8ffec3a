"""``check_project``: score any portfolio repository against the course rubric.

The rubric is a plain list of small item functions, run in order; the report says what
each earned and what to fix. Only the test item executes the project's code.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from .claims import claims_item, reproduced_item
from .documents import decision_log_item, model_card_item, readme_item, skills_item
from .honesty import ci_runs_tests_item, hollow_tests_item, lint_not_silenced_item
from .layout import dockerfile_practices_item, files_item, makefile_item, test_layout_item
from .ownership import ownership_item
from .rubric import RubricItem, RubricReport
from .tools import (
    coverage_item,
    hadolint_item,
    ruff_item,
    run_project_tests,
    tests_item,
    workflow_schema_item,
    zizmor_item,
)

DEFAULT_TEST_TIMEOUT = 600.0


def check_project(*, path: Path, run_tests: bool = True,
                  test_timeout: float = DEFAULT_TEST_TIMEOUT) -> RubricReport:
    """Score the repository at ``path``.

    ``run_tests`` runs the project's own suite in its own environment (``.venv``) if it has
    one, else with this interpreter, measures its coverage, and reruns `make metrics` in a
    clean copy; without it those three items are skipped and do not count. The report
    passes at 80 % of the points counted *and* with every required item passed.
    """
    root = Path(path).resolve()
    if not root.is_dir():
        raise UsageError(f"{path} is not a directory: pass the root of a portfolio repository, "
                         "e.g. `mle portfolio check ./my-project`")
    if not any((root / f).exists() for f in ("pyproject.toml", "README.md", "Makefile")):
        raise UsageError(f"{root} has no pyproject.toml, README.md or Makefile: is it the "
                         "repository root? Create one with `mle portfolio new KIND DEST`")
    if run_tests:
        run = run_project_tests(root, test_timeout)
        tests, coverage = tests_item(run, test_timeout), coverage_item(run)
        reproduced = reproduced_item(root, test_timeout)
    else:
        tests = RubricItem.skip("test suite passes", 24, "skipped (run_tests=False / --no-tests)")
        coverage = RubricItem.skip("test coverage", 6, "skipped (run_tests=False / --no-tests)")
        reproduced = RubricItem.skip("reported metrics reproduce", 8,
                                     "skipped (run_tests=False / --no-tests)")
    items = [
        ownership_item(root),
        files_item(root),
        makefile_item(root),
        test_layout_item(root),
        tests,
        coverage,
        hollow_tests_item(root),
        ruff_item(root),
        lint_not_silenced_item(root),
        hadolint_item(root),
        dockerfile_practices_item(root),
        workflow_schema_item(root),
        ci_runs_tests_item(root),
        zizmor_item(root),
        readme_item(root),
        skills_item(root),
        model_card_item(root),
        claims_item(root),
        reproduced,
        decision_log_item(root),
    ]
    return RubricReport(project=str(root), items=items)
