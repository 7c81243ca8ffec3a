"""grades.csv merges by student and lab and never loses a row."""

from __future__ import annotations

from autograder.report import COLUMNS, format_table, merge_rows, read_rows


def row(student, score, lab="lab01", status="graded"):
    return {"student_id": student, "lab": lab, "score": str(score), "max_score": "10",
            "status": status, "message": "ok"}


def test_merge_inserts_replaces_and_keeps(tmp_path):
    path = tmp_path / "out" / "grades.csv"
    merge_rows(path, [row("b", 3), row("a", 5)])
    merge_rows(path, [row("b", 9), row("c", 1), row("a", 2, lab="lab02")])
    rows = read_rows(path)
    assert [(r["student_id"], r["lab"], r["score"]) for r in rows] == [
        ("a", "lab01", "5"), ("b", "lab01", "9"), ("c", "lab01", "1"), ("a", "lab02", "2")]
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)
    assert not list(path.parent.glob(".grades-*"))  # no temp files left behind
    assert path.stat().st_mode & 0o044, "others on the team can read the grades"


def test_table_lines_up():
    text = format_table([row("alice", 10), row("bo", 3, status="timeout")])
    lines = text.splitlines()
    assert lines[0].startswith("student") and "timeout" in lines[3]
    assert len({line.index("status") if "status" in line else None for line in lines[:1]}) == 1
