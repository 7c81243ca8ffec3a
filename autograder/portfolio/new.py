"""``new_project``: render a portfolio template with copier and make its first commit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

from ..errors import MleError, SetupError, UsageError

COURSE_ROOT = Path(__file__).resolve().parents[2]  # holds copier.yml for all three kinds
TEMPLATES_DIR = COURSE_ROOT / "portfolio_templates"
KINDS = ("training-pipeline", "prediction-api", "monitored-service")
# The prediction problems every kind can be rendered for (copier.yml): the services serve a
# model of the same problem as the training pipeline's, in its artifact format.
PROBLEMS = ("flight-delays", "flight-delay-minutes", "penguins", "custom")
DEFAULT_PROBLEM = "flight-delays"
FALLBACK_AUTHOR = "ML Engineer Labs learner"
FALLBACK_EMAIL = "learner@users.noreply.github.com"


def package_name_for(name: str) -> str:
    """A valid Python package name derived from a project name ("My API" -> "my_api")."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        raise UsageError(f"cannot make a package name from {name!r}: use letters and digits, "
                         "e.g. `--name \"Flight Delay API\"`")
    return slug if slug[0].isalpha() else f"project_{slug}"


def new_project(*, kind: str, dest: Path, name: str | None = None,
                author: str | None = None, problem: str | None = None) -> Path:
    """Render template ``kind`` into ``dest`` (new or empty), then ``git init`` + first commit.

    ``problem`` picks the prediction problem (:data:`PROBLEMS`; default
    :data:`DEFAULT_PROBLEM`) for any kind: a service serves that problem's model.
    Returns the project path. The answers are saved in ``.copier-answers.yml`` so
    ``copier update`` can later bring in template improvements.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown portfolio kind {kind!r}: choose one of {', '.join(KINDS)}, "
                         "e.g. `mle portfolio new training-pipeline ~/code/my-pipeline`")
    if problem is not None and problem not in PROBLEMS:
        raise UsageError(f"unknown problem {problem!r}: choose one of {', '.join(PROBLEMS)}, "
                         f"e.g. `mle portfolio new {kind} {dest} --problem flight-delays`")
    dest = Path(dest).resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest} already exists and is not empty: choose a new folder, e.g. "
                         f"`mle portfolio new {kind} {dest}-2`")
    git = shutil.which("git")
    if git is None:
        raise SetupError("git is not installed: install it (https://git-scm.com) and re-run")
    data = {"kind": kind, "license_year": str(date.today().year),
            "problem": problem or DEFAULT_PROBLEM}
    if name:
        data |= {"project_name": name, "package_name": package_name_for(name)}
    if author:
        data["author_name"] = author
    _render(COURSE_ROOT, dest, data)
    format_render(dest)
    _first_commit(git, dest, kind, author)
    return dest


def _render(source: Path, dest: Path, data: dict) -> None:
    """Copy from the course repository itself (a git repo in any real checkout), so the
    answers file records ``_src_path`` and ``_commit`` and ``copier update`` works later."""
    import warnings

    import copier  # imported on use: it is slow to import

    if not (source / "copier.yml").is_file():
        raise SetupError(f"{source / 'copier.yml'} is missing: run mle from a full checkout of "
                         "ML Engineer Labs (`make install` there)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DirtyLocalWarning while templates are edited
            copier.run_copy(str(source), str(dest), data=data, defaults=True, quiet=True,
                            unsafe=False, overwrite=False, vcs_ref="HEAD")
    except (ValueError, copier.errors.CopierError) as exc:
        raise MleError(f"could not render {data['kind']} into {dest}: {exc}") from exc


def format_render(dest: Path) -> None:
    """Format the render with ruff, as its `make lint` checks: the template's lines were
    formatted around a placeholder, and the candidate's package name changes their length."""
    from .tools import find_tool

    ruff = find_tool("ruff")
    if ruff is not None:
        subprocess.run([ruff, "format", "--quiet", "."], cwd=dest, capture_output=True,
                       check=False)


def _git_env(git: str, dest: Path, author: str | None) -> dict:
    """Use the user's git identity; fall back to the author (or a placeholder) if unset."""
    env = dict(os.environ)
    for key, fallback in (("user.name", author or FALLBACK_AUTHOR), ("user.email", FALLBACK_EMAIL)):
        configured = subprocess.run([git, "config", key], cwd=dest, capture_output=True,
                                    text=True, check=False).stdout.strip()
        if not configured:
            role = "NAME" if key == "user.name" else "EMAIL"
            env[f"GIT_AUTHOR_{role}"] = env[f"GIT_COMMITTER_{role}"] = fallback
    return env


def _first_commit(git: str, dest: Path, kind: str, author: str | None) -> None:
    steps = [
        [git, "init", "-q", "-b", "main"],
        [git, "add", "-A"],
        [git, "-c", "commit.gpgsign=false", "commit", "-q", "-m",
         f"Initial commit from the ML Engineer Labs {kind} template"],
    ]
    env = None
    for step in steps:
        result = subprocess.run(step, cwd=dest, capture_output=True, text=True, env=env,
                                check=False)
        if result.returncode != 0:
            raise MleError(f"`{' '.join(step[1:])}` failed in {dest}: {result.stderr.strip()}; "
                           "fix it there and commit by hand")
        if step[1] == "init":
            env = _git_env(git, dest, author)


def next_steps(path: Path) -> str:
    """What to do after ``new_project``: publish on GitHub, then make the project yours."""
    repo = path.name
    return "\n".join([
        f"Created {path} (first commit on branch main).",
        "",
        "Check it works:",
        f"  cd {path}",
        "  make install && make test && make lint",
        f"  mle portfolio check {path}",
        "",
        "Publish it on GitHub:",
        f"  1. create an empty repository named {repo} at https://github.com/new",
        "     (no README, licence or .gitignore: the project has them)",
        f"  2. git remote add origin git@github.com:<your-user>/{repo}.git",
        "  3. git push -u origin main",
        "  4. open the Actions tab: the CI workflow should go green",
        "",
        "Make it your own, step by step in ADAPTING.md (`mle portfolio check` fails the",
        "untouched template and says what is still missing):",
        "  - change the problem or the data, and say why in README.md",
        "  - replace the results table with numbers from your own run",
        "  - add one feature, test or design decision the template did not have",
        "  - keep MODEL_CARD.md honest: limitations and ethical considerations",
        "  - check `git log` shows your name and email (git config user.name / user.email)",
    ])
