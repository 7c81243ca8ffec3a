"""Feedback a learner can act on: per exercise, what passed, what failed and why.

Built from grade results only — the messages of failed assertions and the learner's own
answers — never from grade-cell sources, so hidden tests cannot leak (stock nbgrader
feedback shows them).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from .results import GradeResult

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}.score{font-size:1.2rem}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.6rem;font-size:.85rem;color:#fff}
.passed{background:#2e7d32}.partial{background:#ef6c00}.failed,.error,.timeout,.invalid,
.missing,.not-run{background:#c62828}.graded{background:#1565c0}.manual{background:#6a1b9a}
section{border:1px solid #ddd;border-radius:.5rem;padding:.5rem 1rem;margin:1rem 0}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.85rem}
td{padding:.2rem .6rem;vertical-align:top}
"""


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status.replace(" ", "-"))}">{escape(status)}</span>'


def render(result: GradeResult, *, lab_title: str, hint_command: str | None) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(result.student_id)} — {escape(lab_title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(lab_title)}: feedback for {escape(result.student_id)}</h1>",
        f"<p class='score'>Score: <b>{result.score:g} / {result.max_score:g}</b> "
        f"{_badge(result.status)}</p>",
        f"<p>{escape(result.message)}</p>",
    ]
    for exercise in result.exercises:
        parts.append(f"<section><h2>{escape(exercise.id)} — {escape(exercise.title)} "
                     f"{_badge(exercise.status)} <small>{exercise.points:g} / "
                     f"{exercise.max_points:g} points</small></h2><table>")
        for cell in exercise.cells:
            parts.append(f"<tr><td>{escape(cell.grade_id)}</td><td>{_badge(cell.status)}</td>"
                         f"<td>{cell.points:g} / {cell.max_points:g}</td>"
                         f"<td>{escape(cell.message)}</td></tr>")
        parts.append("</table>")
        if exercise.status not in ("passed", "manual") and hint_command:
            parts.append(f"<p>Stuck? <code>{escape(hint_command)} {escape(exercise.id)}</code> "
                         "shows the hints one level at a time.</p>")
        if exercise.answer_code.strip():
            parts.append("<details><summary>Your answer</summary>"
                         f"<pre>{escape(exercise.answer_code)}</pre></details>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
