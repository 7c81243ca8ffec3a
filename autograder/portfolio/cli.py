"""``mle portfolio new|check``: thin shells over ``new_project`` and ``check_project``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..cli_support import friendly
from .check import DEFAULT_TEST_TIMEOUT, check_project
from .new import DEFAULT_PROBLEM, KINDS, PROBLEMS, new_project, next_steps

app = typer.Typer(help="Create portfolio projects and check them against the rubric.",
                  no_args_is_help=True)


@app.command("new")
@friendly
def new_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}")],
    dest: Annotated[Path, typer.Argument(help="New (or empty) folder for the project")],
    name: Annotated[str | None, typer.Option(help="Project name (README title)")] = None,
    author: Annotated[str | None, typer.Option(help="Your name (LICENSE, pyproject)")] = None,
    problem: Annotated[str | None, typer.Option(
        help=f"The prediction problem, for every kind: one of {', '.join(PROBLEMS)} "
             f"(default {DEFAULT_PROBLEM}; custom = your own CSV/Parquet)")] = None,
) -> None:
    """Render a portfolio template, make the first commit and print the next steps.

    Example: mle portfolio new training-pipeline ~/code/my-pipeline --author "Ada Lovelace"
    """
    path = new_project(kind=kind, dest=dest, name=name, author=author, problem=problem)
    typer.echo(next_steps(path))


@app.command("check")
@friendly
def check_command(
    directory: Annotated[Path, typer.Argument(help="Root of the portfolio repository")],
    no_tests: Annotated[bool, typer.Option("--no-tests", help="Skip running its tests")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds allowed for its tests")] = (
        DEFAULT_TEST_TIMEOUT),
) -> None:
    """Score a repository: tests, linters, README, model card, skills. Exit 1 below the mark.

    Example: mle portfolio check ~/code/my-pipeline   (recorded for mle progress --markdown)
    """
    report = check_project(path=directory, run_tests=not no_tests, test_timeout=timeout)
    typer.echo(report.render())
    if not no_tests:  # only a full check is evidence for `mle progress --markdown`
        where = _record(directory, report)
        if where:
            typer.echo(f"Recorded in your progress ({where}): see `mle progress --markdown`.")
    raise typer.Exit(0 if report.passed else 1)


def _record(directory: Path, report) -> str | None:
    """Add the result to the learner's progress store, when run inside the course checkout."""
    import yaml

    from ..course import Course
    from ..errors import SetupError
    from ..progress import FILE, record_portfolio

    try:
        course = Course()
    except SetupError:
        return None  # outside the course: nothing to record into
    answers = Path(directory) / ".copier-answers.yml"
    try:
        kind = yaml.safe_load(answers.read_text(encoding="utf-8")).get("kind")
    except (OSError, yaml.YAMLError, AttributeError):
        kind = None
    record_portfolio(course, project=str(kind or "own-layout"), path=Path(directory).resolve(),
                     score=report.score, max_score=report.max_score, passed=report.passed)
    return str(course.settings.state_path / FILE)
