"""``grades.csv``: one row per student and lab, merged across runs, written atomically.

Re-grading updates the rows of the students graded now and keeps every other row, so a
second run (or a run that stops half-way) never loses or duplicates a recorded grade.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

COLUMNS = ["student_id", "lab", "score", "max_score", "status", "message"]


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def merge_rows(path: Path, rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Insert or replace ``rows`` (by student and lab) in the CSV at ``path``; return all rows."""
    table = {(r["student_id"], r["lab"]): r for r in read_rows(path)}
    for row in rows:
        table[(row["student_id"], row["lab"])] = {c: row[c] for c in COLUMNS}
    ordered = [table[key] for key in sorted(table, key=lambda k: (k[1], k[0]))]
    _write_atomically(path, ordered)
    return ordered


def _write_atomically(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".grades-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; a report is not
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def format_table(rows: list[dict[str, str]], width: int = 60) -> str:
    """A plain-text table for the terminal."""
    headers = ["student", "score", "status", "message"]
    body = [[r["student_id"], f"{r['score']}/{r['max_score']}", r["status"],
             (r["message"][: width - 1] + "…") if len(r["message"]) > width else r["message"]]
            for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in body)) if body else len(h)
              for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
              for line in body]
    return "\n".join(lines)
