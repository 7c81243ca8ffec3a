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


# Text that fills a section without saying anything: placeholders, and the phrases a card
# generator leaves behind. Matched per section, case-insensitively.
FILLER = re.compile(
    r"lorem ipsum|\btbd\b|\bto be (?:added|written|completed|determined|done)\b|"
    r"coming soon|\bplaceholder\b|\bx{3,}\b|fill (?:this|me) in|insert [^.]{0,40} here|"
    r"\bn/?a\b\.?$|^\W*todo\b",
    re.IGNORECASE | re.MULTILINE)
MIN_DISTINCT_SHARE = 0.35  # distinct words / words: below this a section repeats itself


def _words(body: str) -> list[str]:
    prose = re.sub(r"```.*?```|<!--.*?-->|\|", " ", body, flags=re.S)
    return re.findall(r"[a-z][a-z'-]+", prose.lower())


def filler_reason(body: str, others: dict[str, str]) -> str | None:
    """Why a section's text is filler, or None: a placeholder, a section that repeats
    itself, or the same text as another section."""
    if match := FILLER.search(body):
        return f"placeholder text ({match.group().strip()!r})"
    words = _words(body)
    if len(words) >= 20 and len(set(words)) / len(words) < MIN_DISTINCT_SHARE:
        return (f"it repeats itself ({len(set(words))} different words in {len(words)}): say "
                "something specific once")
    for label, other in others.items():
        if len(words) >= 8 and _words(other) == words:
            return f"the same text as '{label}'"
    return None


def model_card_item(root: Path) -> RubricItem:
    name, card = "model card", root / "MODEL_CARD.md"
    if not card.is_file():
        return RubricItem.all_or_nothing(
            name, 10, False, required=True,
            fix="MODEL_CARD.md is missing: add it with sections "
                + ", ".join(MODEL_CARD_FIELDS))
    text = card.read_text(encoding="utf-8")
    bodies = {label: s.body for label, pattern in MODEL_CARD_FIELDS.items()
              if (s := find_section(text, pattern)) is not None}
    missing = [label for label in MODEL_CARD_FIELDS
               if label not in bodies or not _substantial(bodies[label])]
    filler = {label: reason for label, body in bodies.items() if label not in missing
              and (reason := filler_reason(body, {k: v for k, v in bodies.items()
                                                  if k != label}))}
    fix = []
    if missing:
        fix.append("MODEL_CARD.md: add or fill in (at least a few sentences each): "
                   + ", ".join(missing))
    if filler:
        fix.append("MODEL_CARD.md: replace filler with what is true of your model: "
                   + "; ".join(f"{label}: {reason}" for label, reason in filler.items()))
    return RubricItem.partial(
        name, 10, len(MODEL_CARD_FIELDS) - len(missing) - len(filler), len(MODEL_CARD_FIELDS),
        required=True, fix="\n".join(fix))


# Where a decision log may live, in the order they are looked for.
DECISION_LOG_FILES = ("docs/decisions.md", "DECISIONS.md", "docs/DECISIONS.md", "decisions.md")
DECISION_TOPICS = {  # what the log must cover -> words that show it does
    "problem framing": r"\bfram\w*|\bwho\b|\bprediction (is|was) made|\bprediction time|\buser",
    "data choices": r"\bdata\b|\bfeatures?\b|\brows?\b|\bsplit\b|\bsample|\bextraction|\bcolumns?",
    "metric choice": r"\bmetric|\bauc\b|\bmae\b|\brmse\b|\bf1\b|\bprecision|\brecall|\bbrier"
                     r"|\baccuracy|\bcalibrat",
    "what failed": r"\bfail\w*|\bdid ?n[o']t work|\bworse\b|\blowered\b|\bregress\w*|\bmistake"
                   r"|\bdropped\b|\bremoved\b|\bovers?tat\w*|\bgave up",
}
MIN_DECISION_WORDS = 150
MIN_DECISION_ENTRIES = 6  # bullets or paragraphs of at least 8 words: a decision and its reason


def _decision_log(root: Path) -> tuple[str, str] | None:
    """(where, text) of the project's decision log: a file, or a README section."""
    for name in DECISION_LOG_FILES:
        if (root / name).is_file():
            return name, (root / name).read_text(encoding="utf-8")
    readme = root / "README.md"
    section = find_section(readme.read_text(encoding="utf-8"),
                           r"decision|reflection|what (i|we) learn") if readme.is_file() else None
    return ("README.md", section.body) if section else None


def decision_log_item(root: Path) -> RubricItem:
    """Presence and substance only: whether the reasoning is sound is a reviewer's call."""
    name = "decision log (read by a human reviewer)"
    found = _decision_log(root)
    if found is None:
        return RubricItem.all_or_nothing(
            name, 8, False,
            fix="write docs/decisions.md: how you framed the problem, your data choices, "
                "your metric and why, and what failed; a reviewer reads it to see how you think")
    where, text = found
    prose = re.sub(r"```.*?```|<!--.*?-->", "", text, flags=re.S)  # code and comments
    prose = "\n".join(line for line in prose.splitlines() if "TODO(you)" not in line)
    words = len(re.findall(r"[A-Za-z][A-Za-z'-]+", prose))
    entries = [chunk for chunk in re.split(r"\n\s*(?:[-*]|\d+\.)\s+|\n\s*\n", prose)
               if len(chunk.split()) >= 8]
    covered = [topic for topic, pattern in DECISION_TOPICS.items()  # said, not just a heading
               if any(re.search(pattern, entry, re.I) for entry in entries)]
    problems = [f"it does not say anything about {topic}" for topic in DECISION_TOPICS
                if topic not in covered]
    if words < MIN_DECISION_WORDS:
        problems.append(f"it has {words} words; write at least {MIN_DECISION_WORDS}")
    if len(entries) < MIN_DECISION_ENTRIES:
        problems.append(f"it has {len(entries)} decisions with a reason (8+ words each); "
                        f"write at least {MIN_DECISION_ENTRIES}")
    if "TODO(you)" in text:
        problems.append("it still holds TODO(you) prompts")
    found_parts = len(covered) + (words >= MIN_DECISION_WORDS) + \
        (len(entries) >= MIN_DECISION_ENTRIES) + ("TODO(you)" not in text)
    return RubricItem.partial(
        name, 8, found_parts, len(DECISION_TOPICS) + 3,
        detail=f"{where}: {words} words, {len(entries)} decisions with a reason, covers "
               f"{', '.join(covered) or 'none of the four topics'}; a reviewer judges the "
               "reasoning, the rubric only that it is there",
        fix=f"{where}: " + "; ".join(problems))
