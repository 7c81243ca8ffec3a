"""Just enough Markdown reading for the rubric: headed sections and pipe tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    body: str


def sections(text: str) -> list[Section]:
    """Each heading with the text up to the next heading of the same or a higher level.
    Headings inside fenced code blocks are ignored."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str]] = []
    in_fence = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            heads.append((number, len(match.group(1)), match.group(2)))
    found = []
    for index, (number, level, title) in enumerate(heads):
        end = next((n for n, lvl, _ in heads[index + 1:] if lvl <= level), len(lines))
        found.append(Section(level, title, "\n".join(lines[number + 1:end])))
    return found


def find_section(text: str, pattern: str) -> Section | None:
    """The first section whose title matches ``pattern`` (case-insensitive regex)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return next((s for s in sections(text) if regex.search(s.title)), None)


def table_rows(text: str) -> list[list[str]]:
    """Body rows of the first pipe table in ``text`` (header and separator dropped)."""
    rows, started = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            if started:
                break
            continue
        cells = [c.strip() for c in stripped.strip("|").split("|")]
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
            started = True
            continue
        if started:
            rows.append(cells)
    return rows


def has_table(text: str) -> bool:
    return bool(table_rows(text))


def has_mermaid(text: str) -> bool:
    return re.search(r"^\s*```\s*mermaid\b", text, re.MULTILINE) is not None
