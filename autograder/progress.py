"""A learner's local progress: every ``mle check`` attempt, every ``mle portfolio check``,
best scores, and points per skill.

Stored as JSON in the state folder (``.mle/progress.json``, git-ignored, never sent anywhere),
written atomically. A damaged file never stops a learner: it is read as far as it can be
(entries that are not well formed are skipped), and before the next write replaces a file that
could not be read at all, that file is kept beside it as ``progress.json.damaged-<time>``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .course import Course
from .notebooks import exercises, read_notebook
from .results import GradeResult

FILE = "progress.json"


def _path(course: Course) -> Path:
    return course.settings.state_path / FILE


@dataclass
class Store:
    attempts: list[dict] = field(default_factory=list)
    portfolio: list[dict] = field(default_factory=list)
    damaged: bool = False  # the file exists but could not be read as a progress store


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _attempt_ok(entry) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("lab"), str)
            and _number(entry.get("score")) and _number(entry.get("max_score"))
            and isinstance(entry.get("exercises", {}), dict)
            and all(isinstance(e, dict) and _number(e.get("points"))
                    for e in entry.get("exercises", {}).values()))


def _portfolio_ok(entry) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("project"), str)
            and isinstance(entry.get("path"), str) and _number(entry.get("score"))
            and _number(entry.get("max_score")) and isinstance(entry.get("passed"), bool))


def read_store(course: Course) -> Store:
    path = _path(course)
    if not path.is_file():
        return Store()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return Store(damaged=True)
    if not isinstance(data, dict):
        return Store(damaged=True)
    attempts, portfolio = data.get("attempts", []), data.get("portfolio", [])
    return Store(attempts=[a for a in attempts if _attempt_ok(a)] if isinstance(attempts, list)
                 else [],
                 portfolio=[p for p in portfolio if _portfolio_ok(p)]
                 if isinstance(portfolio, list) else [])


def _write(course: Course, store: Store) -> None:
    path = _path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    if store.damaged and path.exists():
        path.replace(path.with_name(f"{FILE}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}"))
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".progress-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({"attempts": store.attempts, "portfolio": store.portfolio}, out, indent=1)
    os.replace(temp, path)


def load(course: Course) -> list[dict]:
    """Every well-formed ``mle check`` attempt, oldest first."""
    return read_store(course).attempts


def record(course: Course, result: GradeResult) -> None:
    store = read_store(course)
    store.attempts.append({
        "lab": result.lab, "when": _now(),
        "score": result.score, "max_score": result.max_score, "status": result.status,
        "exercises": {e.id: {"points": e.points, "max_points": e.max_points}
                      for e in result.exercises},
    })
    _write(course, store)


def record_portfolio(course: Course, *, project: str, path: Path, score: float,
                     max_score: float, passed: bool) -> None:
    """Remember a ``mle portfolio check`` result (``project`` is the template kind)."""
    store = read_store(course)
    store.portfolio.append({"project": project, "path": str(path), "when": _now(),
                            "score": score, "max_score": max_score, "passed": passed})
    _write(course, store)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def best_scores(course: Course) -> dict[str, tuple[float, float]]:
    """lab id -> (best score, max score) over all attempts."""
    best: dict[str, tuple[float, float]] = {}
    for attempt in load(course):
        current = best.get(attempt["lab"])
        if current is None or attempt["score"] > current[0]:
            best[attempt["lab"]] = (attempt["score"], attempt["max_score"])
    return best


@dataclass
class SkillProgress:
    id: str
    name: str
    earned: float
    available: float
    labs: list[str]


def skill_progress(course: Course) -> list[SkillProgress]:
    """Points earned (best attempt per exercise) and available, for each of the skills.

    An exercise's points count fully towards every skill it names.
    """
    best: dict[tuple[str, str], float] = {}
    for attempt in load(course):
        for ex_id, ex in attempt.get("exercises", {}).items():
            key = (attempt["lab"], ex_id)
            best[key] = max(best.get(key, 0.0), ex["points"])
    table = {s.id: SkillProgress(s.id, s.name, 0.0, 0.0, []) for s in course.skills}
    for lab in course.labs:
        if not course.is_available(lab):
            continue
        for name in lab.notebooks:
            for exercise in exercises(read_notebook(course.solution_dir(lab) / name)):
                for skill in exercise.skills:
                    if skill not in table:
                        continue
                    table[skill].available += exercise.points
                    table[skill].earned += best.get((lab.id, exercise.id), 0.0)
                    if lab.id not in table[skill].labs:
                        table[skill].labs.append(lab.id)
    return list(table.values())


PASS_FRACTION = 0.8  # a lab counts as passed at 80 % of its points, as the portfolio rubric


def evidence_markdown(course: Course) -> str:
    """A "Skills evidence" section for a portfolio README, from this learner's own records.

    Per skill: the level employers ask for, the labs passed (best ``mle check`` score) that
    practise it, and the portfolio projects that show it and passed ``mle portfolio check``.
    Only what the progress store holds is claimed.
    """
    from .skills import skills_evidence

    best = best_scores(course)
    latest: dict[str, dict] = {}
    for entry in read_store(course).portfolio:  # oldest first: the last check of each kind wins
        latest[entry["project"]] = entry
    points = {row.id: row for row in skill_progress(course)}
    lines = [
        "## Skills evidence",
        "",
        f"From my own graded work in ML Engineer Labs, "
        f"{datetime.now(UTC):%Y-%m-%d}: each lab score is my best `mle check` result (a lab "
        f"counts as passed at {PASS_FRACTION:.0%} of its points, with the same hidden tests an "
        "instructor runs); each project passed `mle portfolio check`, the course's rubric.",
        "",
        "| Skill | Level asked | Labs passed | Exercise points | Portfolio project |",
        "|---|---|---|---|---|",
    ]
    for row in skills_evidence(course):
        labs = []
        for lab in row.labs:
            score, out_of = best.get(lab.id, (0.0, 0.0))
            if out_of and score >= PASS_FRACTION * out_of:
                labs.append(f"Lab {lab.number} {lab.title} ({score:g}/{out_of:g})")
        projects = []
        for evidence in row.portfolio:
            entry = latest.get(evidence.project)
            if entry and entry["passed"]:
                projects.append(f"{evidence.project} `{Path(entry['path']).name}` "
                                f"(rubric {entry['score']:g}/{entry['max_score']:g}): "
                                f"{evidence.shows}")
        skill_points = points.get(row.skill.id)
        earned = (f"{skill_points.earned:g}/{skill_points.available:g}"
                  if skill_points and skill_points.available else "—")
        lines.append(f"| {row.skill.name} | {row.skill.level} | {'; '.join(labs) or '—'} "
                     f"| {earned} | {'; '.join(projects) or '—'} |")
    if read_store(course).damaged:
        lines += ["", "(Your progress file could not be read; it is kept aside at the next "
                  "`mle check`, and this table shows only what was recorded since.)"]
    return "\n".join(lines) + "\n"
