"""Is it the candidate's own work? The rubric's floor against an untouched or hollow template.

Every candidate starts from the same template, so a repository that passes every other check
can still be nothing but the template. This item compares the repository with the template
re-rendered, with the candidate's own answers, at the commit recorded in
``.copier-answers.yml``, and asks for four things a reviewer would look for first:

- enough of the code, tests and documents changed (lines and files that differ);
- a history of the candidate's own commits after the template's first commit;
- a problem statement in their own words (the README's Problem section, rewritten);
- no ``TODO(you)`` marker left from the adaptation guide.

It is a floor that catches the untouched and the hollow, not a judge of quality: a human
reviewer still reads the work.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .markdown import find_section
from .new import format_render
from .rubric import RubricItem

NAME = "your own work, not the untouched template"
POINTS = 20
MIN_CHANGED_LINES = 100
MIN_CHANGED_FILES = 4
MIN_OWN_COMMITS = 2
MIN_NEW_PROBLEM_WORDS = 40
MARKER = "TODO(you):"  # with the colon: a test may still say "no TODO(you) left"
# Produced by running the project, or copier's own bookkeeping: never counted as a change.
NOT_COUNTED = re.compile(r"(^|/)(\.git|__pycache__|\.pytest_cache|\.ruff_cache|\.hypothesis|"
                         r"artifacts|mlruns|reports|logs|data)(/|$)|\.copier-answers\.yml$|"
                         r"\.(db|sqlite|joblib|png|pyc)$")
GUIDE = "ADAPTING.md"


@dataclass(frozen=True)
class Ownership:
    changed_lines: int
    changed_files: int
    own_commits: int
    new_problem_words: int
    markers: list[str]


def _answers(root: Path) -> dict:
    path = root / ".copier-answers.yml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def rerender(root: Path, into: Path) -> Path:
    """The template as the candidate first received it: same answers, same template commit."""
    import copier  # slow to import: only when a check needs it

    answers = _answers(root)
    source, commit = answers.get("_src_path"), answers.get("_commit")
    if not source or not commit or not Path(source, "copier.yml").is_file():
        raise LookupError(
            f"cannot rebuild the template this project came from ({root / '.copier-answers.yml'}"
            f" names source {source!r} at commit {commit!r}); run the check from the ML Engineer "
            "Labs checkout the project was made with, or keep .copier-answers.yml as "
            "`mle portfolio new` wrote it")
    data = {k: v for k, v in answers.items() if not k.startswith("_")}
    try:
        copier.run_copy(str(source), str(into), data=data, vcs_ref=str(commit), defaults=True,
                        quiet=True, unsafe=False, overwrite=True)
    except Exception as error:  # copier made the project from uncommitted template changes:
        if "revision" not in str(error).lower():  # its commit exists only in copier's own copy
            raise
        shutil.rmtree(into, ignore_errors=True)
        copier.run_copy(str(source), str(into), data=data, vcs_ref=None, defaults=True,
                        quiet=True, unsafe=False, overwrite=True)
    format_render(into)  # as `mle portfolio new` did before the first commit
    return into


def _files(folder: Path, tracked: bool) -> dict[str, Path]:
    if tracked and (folder / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=folder, capture_output=True,
                                check=False).stdout.decode("utf-8", "replace").split("\0")
        paths = [folder / name for name in listed if name]
    else:
        paths = [p for p in folder.rglob("*") if p.is_file()]
    found = {}
    for path in paths:
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not NOT_COUNTED.search(relative):
            found[relative] = path
    return found


def _lines(path: Path | None) -> list[str]:
    if path is None:
        return []
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (UnicodeDecodeError, OSError):
        return [f"<binary {path.stat().st_size} bytes>"]


def changed(template: Path, root: Path) -> tuple[int, int]:
    """(lines added or removed, files that differ) between the template and the project."""
    theirs, mine = _files(template, tracked=False), _files(root, tracked=True)
    lines = files = 0
    for name in sorted(set(theirs) | set(mine)):
        diff = [line for line in difflib.unified_diff(_lines(theirs.get(name)),
                                                      _lines(mine.get(name)), lineterm="", n=0)
                if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        if diff:
            files += 1
            lines += len(diff)
    return lines, files


def own_commits(root: Path) -> int:
    """Commits after the first one (the template, as `mle portfolio new` committed it)."""
    if not (root / ".git").exists():
        return 0
    count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=root, capture_output=True,
                           text=True, check=False).stdout.strip()
    return max(int(count) - 1, 0) if count.isdigit() else 0


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def new_problem_words(template: Path, root: Path) -> int:
    """Words in the project's Problem section that the template's Problem section lacks."""
    def problem(folder: Path) -> str:
        readme = folder / "README.md"
        text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
        section = find_section(text, r"problem|overview|motivation|background")
        return section.body if section else ""

    theirs = set(_words(problem(template)))
    return sum(1 for word in _words(problem(root)) if word not in theirs)


def markers(root: Path) -> list[str]:
    """Files that still hold a ``TODO(you)`` marker from the adaptation guide."""
    return sorted(name for name, path in _files(root, tracked=True).items()
                  if name != GUIDE and MARKER in "\n".join(_lines(path)))


def measure(root: Path) -> Ownership:
    with tempfile.TemporaryDirectory(prefix="mle-template-") as scratch:
        template = rerender(root, Path(scratch) / "template")
        lines, files = changed(template, root)
        words = new_problem_words(template, root)
        shutil.rmtree(template, ignore_errors=True)
    return Ownership(lines, files, own_commits(root), words, markers(root))


def ownership_item(root: Path) -> RubricItem:
    try:
        found = measure(root)
    except (LookupError, OSError, ValueError) as error:
        return RubricItem.all_or_nothing(NAME, POINTS, False, required=True, fix=str(error))
    except Exception as error:  # copier's own errors: a clear line, never a traceback
        return RubricItem.all_or_nothing(NAME, POINTS, False, required=True,
                                         fix=f"the template could not be rebuilt: {error}")
    todo = []
    if found.changed_lines < MIN_CHANGED_LINES or found.changed_files < MIN_CHANGED_FILES:
        todo.append(f"only {found.changed_lines} lines in {found.changed_files} files differ "
                    f"from the template; change at least {MIN_CHANGED_LINES} lines in "
                    f"{MIN_CHANGED_FILES} files (your data, features, model, tests, docs)")
    if found.own_commits < MIN_OWN_COMMITS:
        todo.append(f"{found.own_commits} commit(s) after the template's first one; commit your "
                    f"steps as you make them (at least {MIN_OWN_COMMITS}), so a reviewer can "
                    "follow how the project grew")
    if found.new_problem_words < MIN_NEW_PROBLEM_WORDS:
        todo.append(f"the README's Problem section is still the template's "
                    f"({found.new_problem_words} new words); state your own problem in at "
                    f"least {MIN_NEW_PROBLEM_WORDS} words: who needs the prediction, when it "
                    "is made, and what a mistake costs")
    if found.markers:
        todo.append(f"{MARKER} markers remain in {', '.join(found.markers[:5])}")
    detail = (f"{found.changed_lines} lines in {found.changed_files} files changed, "
              f"{found.own_commits} own commits, {found.new_problem_words} new words in the "
              "problem statement")
    met = 4 - len(todo)
    fix = "; ".join(todo) + (f" (the order to do it in: {GUIDE})" if todo else "")
    return RubricItem.partial(NAME, POINTS, met, 4, fix=fix, detail=detail, required=True)
