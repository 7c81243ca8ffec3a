"""A cohort at a glance: the score distribution and which exercises the cohort finds hard.

Instructors would rather look than read a 200-row CSV: ``cohort_chart`` draws both from what
``grades.csv`` and the gradebook hold (every run so far, not just the latest).
"""

from __future__ import annotations

from pathlib import Path

from .notebooks import Exercise


def cohort_chart(*, rows: list[dict[str, str]], cell_scores: dict[str, dict[str, float]],
                 exercises: list[Exercise], title: str, path: Path) -> Path:
    """Write a two-panel PNG to ``path``: scores per student, mean % per exercise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    scores = [float(r["score"]) for r in rows]
    maximum = max((float(r["max_score"]) for r in rows), default=1.0) or 1.0
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    left.hist(scores, bins=min(20, max(5, len(scores))), range=(0, maximum), color="#1565c0")
    left.set(title=f"Scores ({len(scores)} students)", xlabel=f"score out of {maximum:g}",
             ylabel="students")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    names, percents = [], []
    for exercise in exercises:
        if not exercise.points or not cell_scores:
            continue
        earned = [sum(s.get(t.grade_id, 0.0) for t in exercise.tests)
                  for s in cell_scores.values()]
        names.append(exercise.id)
        percents.append(100 * sum(earned) / (len(earned) * exercise.points))
    colours = ["#c62828" if p < 50 else "#ef6c00" if p < 80 else "#2e7d32" for p in percents]
    right.barh(names[::-1], percents[::-1], color=colours[::-1])
    right.set(title="Mean score per exercise (graded notebooks)", xlabel="% of points",
              xlim=(0, 100))
    figure.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
