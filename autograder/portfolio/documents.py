"""Rubric items for the documents a reviewer reads first: README, skills table, model card."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import SetupError
from .markdown import find_section, has_mermaid, has_table, table_rows
from .rubric import RubricItem

SKILLS_FILE = Path(__file__).resolve().parents[2] / "curriculum" / "skills.yaml"

README_SECTIONS = {  # what a hiring engineer looks for -> heading pattern
    "problem statement": r"problem|overview|motivation|background",
    "architecture (with a Mermaid diagram)": r"architecture|design",
    "how to run": r"how to run|quick ?start|getting started|usage|running",
    "results (with a table)": r"results|performance|benchmark",
    "skills demonstrated": r"skills demonstrated",
}
MODEL_CARD_FIELDS = {
    "intended use": r"intended use",
    "data": r"\bdata\b|dataset",
    "metrics": r"metric|evaluation",
    "limitations": r"limitation",
    "ethical considerations": r"ethic",
    "how to reproduce": r"reproduc",
}
MIN_SECTION_CHARS = 40
MIN_SKILLS = 3


def load_skills(path: Path = SKILLS_FILE) -> dict[str, str]:
    """Skill id -> name from the course's skills map."""
    if not path.is_file():
        raise SetupError(f"skills map {path} not found: run from a full ML Engineer Labs checkout")
    return {s["id"]: s["name"] for s in yaml.safe_load(path.read_text())["skills"]}


def _substantial(body: str) -> bool:
    return len(re.sub(r"\s+", "", body)) >= MIN_SECTION_CHARS


def readme_item(root: Path) -> RubricItem:
    name, readme = "README sections", root / "README.md"
    if not readme.is_file():
        return RubricItem.all_or_nothing(name, 10, False, required=True,
                                         fix="add README.md: " + ", ".join(README_SECTIONS))
    text = readme.read_text(encoding="utf-8")
    missing = []
    for label, pattern in README_SECTIONS.items():
        section = find_section(text, pattern)
        if section is None or not section.body.strip():
            missing.append(f"a '{label}' section")
        elif label.startswith("architecture") and not has_mermaid(section.body):
            missing.append("a ```mermaid diagram in the architecture section")
        elif label.startswith("results") and not has_table(section.body):
            missing.append("a results table (real numbers from a run)")
    found = len(README_SECTIONS) - len(missing)
    return RubricItem.partial(name, 10, found, len(README_SECTIONS), required=True,
                              fix="README.md needs " + "; ".join(missing))


def skills_item(root: Path, skills: dict[str, str] | None = None) -> RubricItem:
    name, readme = "skills table maps to the role skills", root / "README.md"
    skills = skills if skills is not None else load_skills()
    section = find_section(readme.read_text(encoding="utf-8"), r"skills demonstrated") \
        if readme.is_file() else None
    rows = table_rows(section.body) if section else []
    if not rows:
        return RubricItem.all_or_nothing(
            name, 4, False, fix="add a '## Skills demonstrated' table: | Skill | Evidence |, "
            "one row per skill, e.g. `Model evaluation (`model-evaluation`)`")
    names = {n.lower(): i for i, n in skills.items()}
    unknown, matched = [], set()
    for row in rows:
        ids = set(re.findall(r"`([a-z-]+)`", row[0])) & set(skills)
        ids |= {names[row[0].lower()]} if row[0].lower() in names else set()
        if ids:
            matched |= ids
        else:
            unknown.append(row[0])
    ok = not unknown and len(matched) >= MIN_SKILLS
    fix = []
    if unknown:
        fix.append(f"rows not mapped to a role skill: {', '.join(unknown)}; write the skill "
                   f"name or its id in backticks (ids: {', '.join(sorted(skills))})")
    if len(matched) < MIN_SKILLS:
        fix.append(f"list at least {MIN_SKILLS} skills with evidence")
    return RubricItem.all_or_nothing(name, 4, ok, fix="\n".join(fix),
                                     detail=f"{len(matched)} role skills mapped")


def model_card_item(root: Path) -> RubricItem:
    name, card = "model card", root / "MODEL_CARD.md"
    if not card.is_file():
        return RubricItem.all_or_nothing(
            name, 10, False, required=True,
            fix="MODEL_CARD.md is missing: add it with sections "
                + ", ".join(MODEL_CARD_FIELDS))
    text = card.read_text(encoding="utf-8")
    missing = [label for label, pattern in MODEL_CARD_FIELDS.items()
               if (s := find_section(text, pattern)) is None or not _substantial(s.body)]
    return RubricItem.partial(
        name, 10, len(MODEL_CARD_FIELDS) - len(missing), len(MODEL_CARD_FIELDS), required=True,
        fix="MODEL_CARD.md: add or fill in (at least a few sentences each): " + ", ".join(missing))
