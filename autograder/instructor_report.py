"""``OUT/report.html``: what an instructor wants to know about a graded cohort, on one page.

The score distribution; for each exercise its pass rate and *discrimination* (does it separate
learners who do well overall from those who do not?), the failure messages seen most often,
and a note where the numbers suggest the exercise or its text is broken; the slowest
submissions; and every submission that needs a person's attention (``flagged``, ``timeout``,
``error``, ``invalid``, ``missing``) with its message. It is one self-contained file (styles
and plots inline) that opens offline.

The page is built from every result recorded in ``OUT/results/<assignment>/`` (one JSON per
student, written as each is graded), so a re-run of a few students updates it without losing
anyone. ``cohort_stats`` is the arithmetic, kept apart from the HTML so it can be tested.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from .results import GradeResult

REPORT = "report.html"
ATTENTION = ("flagged", "timeout", "error", "invalid", "missing")
NOT_SCORED = ("invalid", "missing")  # nothing ran: they would skew every exercise's numbers


def results_dir(out: Path, assignment_id: str) -> Path:
    return Path(out) / "results" / assignment_id


def save_result(out: Path, result: GradeResult) -> Path:
    path = results_dir(out, result.lab) / f"{result.student_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".json.tmp")
    temp.write_text(result.to_json(), encoding="utf-8")
    temp.replace(path)
    return path


def load_results(out: Path, assignment_id: str) -> list[GradeResult]:
    folder = results_dir(out, assignment_id)
    return [GradeResult.from_json(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


@dataclass
class ExerciseStats:
    id: str
    title: str
    max_points: float
    attempts: int
    pass_rate: float  # share of scored submissions with every point of the exercise
    mean_share: float  # mean share of the exercise's points
    discrimination: float | None  # corrected item-total correlation, -1..1
    failures: list[tuple[str, int]] = field(default_factory=list)  # most common messages
    note: str = ""


@dataclass
class CohortStats:
    students: int
    scored: int
    max_score: float
    mean: float | None
    median: float | None
    statuses: dict[str, int]
    exercises: list[ExerciseStats]
    slowest: list[tuple[str, float, str]]  # student, seconds, status
    attention: dict[str, list[tuple[str, str]]]  # status -> (student, message)


def cohort_stats(results: list[GradeResult], *, slowest: int = 5) -> CohortStats:
    scored = [r for r in results if r.status not in NOT_SCORED]
    totals = [r.score for r in scored]
    order: dict[str, tuple[str, float]] = {}
    for result in scored:
        for exercise in result.exercises:
            order.setdefault(exercise.id, (exercise.title, exercise.max_points))
    per_exercise = [_exercise_stats(ex_id, title, points, scored)
                    for ex_id, (title, points) in order.items()]
    return CohortStats(
        students=len(results), scored=len(scored),
        max_score=max((r.max_score for r in results), default=0.0),
        mean=statistics.fmean(totals) if totals else None,
        median=statistics.median(totals) if totals else None,
        statuses=dict(Counter(r.status for r in results)),
        exercises=per_exercise,
        slowest=[(r.student_id, r.seconds, r.status)
                 for r in sorted(scored, key=lambda r: -r.seconds)[:slowest]],
        attention={status: sorted((r.student_id, r.message) for r in results
                                  if r.status == status)
                   for status in ATTENTION if any(r.status == status for r in results)})


def _exercise_stats(ex_id: str, title: str, points: float,
                    scored: list[GradeResult]) -> ExerciseStats:
    earned, rest, passed, messages = [], [], 0, Counter()
    for result in scored:
        mine = next((e for e in result.exercises if e.id == ex_id), None)
        got = mine.points if mine is not None else 0.0
        earned.append(got / points if points else 0.0)
        rest.append(result.score - got)
        if mine is not None and mine.status == "passed":
            passed += 1
        for cell in (mine.cells if mine is not None else []):
            if cell.status not in ("passed", "manual") and cell.message:
                messages[cell.message] += 1
    pass_rate = passed / len(scored) if scored else 0.0
    try:
        discrimination = statistics.correlation(earned, rest) if len(scored) >= 3 else None
    except statistics.StatisticsError:  # everyone scored the same on one side
        discrimination = None
    note = ""
    if scored and pass_rate == 0:
        note = "nobody passed it: check that the exercise, its text and its tests agree"
    elif discrimination is not None and discrimination < 0:
        note = ("learners who do well elsewhere do worse here: the test may reward the wrong "
                "thing, or the text may mislead")
    elif scored and pass_rate == 1 and len(scored) >= 5:
        note = "everyone passed it"
    return ExerciseStats(ex_id, title, points, len(scored), pass_rate,
                         statistics.fmean(earned) if earned else 0.0, discrimination,
                         messages.most_common(3), note)


def write_report(out: Path, *, assignment_id: str, title: str) -> Path:
    """Write ``out/report.html`` for every graded result of ``assignment_id``."""
    stats = cohort_stats(load_results(out, assignment_id))
    path = Path(out) / REPORT
    path.write_text(render(stats, title=title), encoding="utf-8")
    return path


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{padding:.25rem .6rem;
border-bottom:1px solid #e0e0e0;text-align:left;vertical-align:top}th{background:#f5f5f5}
.num{text-align:right;font-variant-numeric:tabular-nums}.note{color:#b71c1c}
.bar{display:inline-block;height:.7rem;background:#1565c0;vertical-align:middle}
small{color:#555}img{max-width:100%}
"""


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def render(stats: CohortStats, *, title: str) -> str:
    fmt = _fmt
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)} — "
             f"cohort report</title><style>{_STYLE}</style></head><body>",
             f"<h1>{escape(title)}: cohort report</h1>",
             f"<p>{stats.students} submissions; {stats.scored} ran. Mean score "
             f"<b>{fmt(stats.mean)}</b>, median <b>{fmt(stats.median)}</b> of "
             f"{stats.max_score:g}. "
             + ", ".join(f"{n} {escape(s)}" for s, n in sorted(stats.statuses.items())) + "</p>"]
    chart = _chart(stats)
    if chart:
        parts.append(f"<img alt='score distribution and pass rate per exercise' "
                     f"src='data:image/png;base64,{chart}'>")
    parts += ["<h2>Exercises</h2><p><small>Pass rate: the share of submissions with every point "
              "of the exercise. Discrimination: the correlation between the exercise's score and "
              "the rest of the score (near 0 or negative: the exercise does not separate "
              "stronger from weaker learners).</small></p>",
              "<table><tr><th>exercise</th><th>points</th><th>pass rate</th>"
              "<th>discrimination</th><th>most common failures</th></tr>"]
    for ex in stats.exercises:
        failures = "<br>".join(f"{n}× {escape(m)}" for m, n in ex.failures) or "—"
        note = f"<br><span class='note'>{escape(ex.note)}</span>" if ex.note else ""
        parts.append(
            f"<tr><td><b>{escape(ex.id)}</b> {escape(ex.title)}{note}</td>"
            f"<td class='num'>{ex.max_points:g}</td><td class='num'>{ex.pass_rate:.0%} "
            f"<span class='bar' style='width:{ex.pass_rate * 4:.2f}rem'></span></td>"
            f"<td class='num'>{fmt(ex.discrimination)}</td><td>{failures}</td></tr>")
    parts.append("</table>")
    if stats.slowest:
        parts.append("<h2>Slowest submissions</h2><table><tr><th>student</th><th>seconds</th>"
                     "<th>status</th></tr>")
        parts += [f"<tr><td>{escape(s)}</td><td class='num'>{sec:.1f}</td>"
                  f"<td>{escape(st)}</td></tr>" for s, sec, st in stats.slowest]
        parts.append("</table>")
    parts.append("<h2>Needs your attention</h2>")
    if not stats.attention:
        parts.append("<p>Nothing: every submission was graded normally.</p>")
    for status, rows in stats.attention.items():
        parts.append(f"<h3>{escape(status)} ({len(rows)})</h3><table>")
        parts += [f"<tr><td>{escape(s)}</td><td>{escape(m)}</td></tr>" for s, m in rows]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _chart(stats: CohortStats) -> str:
    """Two panels as an inline PNG: pass rate and discrimination per exercise."""
    if not stats.exercises:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [e.id for e in stats.exercises][::-1]
    rates = [100 * e.pass_rate for e in stats.exercises][::-1]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 0.4 * len(names) + 1.5),
                                         constrained_layout=True)
    left.barh(names, rates, color=["#c62828" if r < 50 else "#ef6c00" if r < 80 else "#2e7d32"
                                   for r in rates])
    left.set(title="Pass rate per exercise", xlabel="% of submissions", xlim=(0, 100))
    points = [(e.pass_rate * 100, e.discrimination, e.id) for e in stats.exercises
              if e.discrimination is not None]
    right.axhline(0, color="#999", linewidth=0.8)
    for rate, disc, name in points:
        right.scatter(rate, disc, color="#c62828" if disc < 0.2 else "#1565c0")
        right.annotate(name, (rate, disc), fontsize=8, xytext=(3, 3),
                       textcoords="offset points")
    right.set(title="Difficulty and discrimination", xlabel="pass rate (%)",
              ylabel="discrimination", xlim=(-5, 105), ylim=(-1.05, 1.05))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
