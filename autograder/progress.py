"""A learner's local progress: every ``mle check`` attempt, best scores, points per skill.

Stored as JSON in the state folder (``.mle/progress.json``, git-ignored), written atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .course import Course
from .notebooks import exercises, read_notebook
from .results import GradeResult

FILE = "progress.json"


def _path(course: Course) -> Path:
    return course.settings.state_path / FILE


def load(course: Course) -> list[dict]:
    path = _path(course)
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("attempts", [])
    except (json.JSONDecodeError, AttributeError):
        return []  # a damaged store must never stop a learner from checking their work


def record(course: Course, result: GradeResult) -> None:
    attempts = load(course)
    attempts.append({
        "lab": result.lab, "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "score": result.score, "max_score": result.max_score, "status": result.status,
        "exercises": {e.id: {"points": e.points, "max_points": e.max_points}
                      for e in result.exercises},
    })
    path = _path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".progress-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({"attempts": attempts}, out, indent=1)
    os.replace(temp, path)


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
