"""The skills evidence: for each of the 15 skills employers list, where the course makes a
learner practise it (lab exercises) and where a candidate shows it (portfolio projects).

One source each: exercises name their skills in their cell metadata (where authors write
them), and ``curriculum/skills.yaml`` holds each skill's level, its portfolio evidence (template
files) and, for a skill that needs a cloud account, how the course prepares for it.
``evidence_problems`` is what the tests (and ``mle skills``) insist on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .course import Course, Lab, PortfolioEvidence, Skill
from .notebooks import exercises, read_notebook

TEMPLATES = "portfolio_templates"


@dataclass(frozen=True)
class ExerciseRef:
    lab: Lab
    id: str
    title: str
    points: float

    @property
    def label(self) -> str:
        return f"L{self.lab.number} {self.id}"


@dataclass
class SkillEvidence:
    skill: Skill
    exercises: list[ExerciseRef] = field(default_factory=list)

    @property
    def portfolio(self) -> list[PortfolioEvidence]:
        return self.skill.portfolio

    @property
    def labs(self) -> list[Lab]:
        seen: dict[str, Lab] = {}
        for ref in self.exercises:
            seen.setdefault(ref.lab.id, ref.lab)
        return list(seen.values())


def lab_exercises(course: Course) -> list[tuple[ExerciseRef, list[str]]]:
    """Every exercise of every written lab, with the skill ids it names."""
    found = []
    for lab in course.labs:
        if not course.is_available(lab):
            continue
        for name in lab.notebooks:
            for exercise in exercises(read_notebook(course.solution_dir(lab) / name)):
                found.append((ExerciseRef(lab, exercise.id, exercise.title, exercise.points),
                              list(exercise.skills)))
    return found


def skills_evidence(course: Course) -> list[SkillEvidence]:
    """The coverage matrix: each skill with the exercises that practise it."""
    table = {skill.id: SkillEvidence(skill) for skill in course.skills}
    for ref, skills in lab_exercises(course):
        for skill in skills:
            if skill in table:
                table[skill].exercises.append(ref)
    return list(table.values())


def evidence_problems(course: Course) -> list[str]:
    """What makes the evidence untrue or incomplete; empty when every skill is covered."""
    problems = []
    known = {skill.id for skill in course.skills}
    for ref, skills in lab_exercises(course):
        for skill in skills:
            if skill not in known:
                problems.append(f"{ref.label} names a skill that does not exist: {skill!r} "
                                f"(curriculum/skills.yaml has {', '.join(sorted(known))})")
    projects = sorted(p.name for p in (course.root / TEMPLATES).iterdir() if p.is_dir())
    for row in skills_evidence(course):
        name = row.skill.name
        if not row.exercises:
            problems.append(f"{name}: no lab exercise practises it")
        if not row.portfolio:
            problems.append(f"{name}: no portfolio project shows it")
        for evidence in row.portfolio:
            if evidence.project not in projects:
                problems.append(f"{name}: unknown portfolio project {evidence.project!r} "
                                f"(there are {', '.join(projects)})")
                continue
            template = course.root / TEMPLATES / evidence.project / "template"
            for path in evidence.files:
                if not (template / path).exists():
                    problems.append(f"{name}: {evidence.project} has no {path} "
                                    f"(in {template.relative_to(course.root)})")
    return problems


def _labs_cell(row: SkillEvidence) -> str:
    parts = []
    for lab in row.labs:
        ids = [ref.id for ref in row.exercises if ref.lab.id == lab.id]
        parts.append(f"{lab.number} ({', '.join(ids)})")
    return ", ".join(parts)


def skills_markdown(course: Course) -> str:
    """The matrix as a Markdown table (curriculum/skills-map.md is this, kept current)."""
    lines = [
        "# Skills map",
        "",
        "Job listings for machine-learning engineers ask for the same fifteen skills again and",
        "again (our summary of the role documents behind this course). This is where the course",
        "makes you practise each one, and where your portfolio shows it. `mle skills` prints",
        "this table; `mle progress` shows your own points against it, and",
        "`mle progress --markdown` writes your evidence for a portfolio README. The Labs column",
        "gives each lab's number and the exercises that practise the skill. Generated from",
        "`curriculum/skills.yaml` and the labs' exercise metadata by `mle skills --markdown`.",
        "",
        "| Skill | Level asked | Labs | Portfolio project |",
        "|---|---|---|---|",
    ]
    for row in skills_evidence(course):
        skill = row.skill
        portfolio = "; ".join(f"{e.project}: {e.shows}" for e in row.portfolio) or "—"
        lines.append(f"| {skill.name} `[{skill.id}]` | {skill.level} | {_labs_cell(row) or '—'} "
                     f"| {portfolio} |")
    offline = [row.skill for row in skills_evidence(course) if row.skill.offline]
    if offline:
        lines += ["", "## What needs a cloud account", ""]
        for skill in offline:
            lines += [f"**{skill.name}.** {' '.join(skill.offline.split())}", ""]
    return "\n".join(lines).rstrip() + "\n"
