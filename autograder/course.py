"""The course: its labs, its skills, and where each lab's files live."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from .errors import SetupError, UsageError
from .settings import Settings


class PortfolioEvidence(BaseModel):
    """Where a portfolio project shows a skill: files under its template folder."""

    project: str
    shows: str
    files: list[str] = Field(min_length=1)


class Skill(BaseModel):
    id: str
    name: str
    level: str
    why: str
    portfolio: list[PortfolioEvidence] = Field(default_factory=list)
    offline: str | None = None  # how the course prepares for what needs a cloud account


class LabLimits(BaseModel):
    """What one graded submission of a lab may use (the syllabus's ``limits:``)."""

    memory_mb: int = Field(3072, ge=256)
    max_pids: int = Field(512, ge=16)
    tmp_mb: int = Field(512, ge=16)
    wall_s: int = Field(900, ge=10, description="seconds one notebook may run in all, kernel "
                                                "start-up included")


class Change(BaseModel):
    """What one edition of a lab changed, for learners who started an earlier one."""

    edition: int = Field(ge=2)
    exercises: list[str] = Field(default_factory=list, description="exercises whose task changed")
    summary: str


class Lab(BaseModel):
    id: str
    number: int
    title: str
    summary: str
    notebooks: list[str]
    skills: list[str]
    data: str | None = None
    grade_parameters: dict[str, object] = Field(default_factory=dict)
    limits: LabLimits = Field(default_factory=LabLimits)
    preload: list[str] = Field(default_factory=list, description="modules a grading worker "
                               "imports once, before it forks a kernel per submission")
    changelog: list[Change] = Field(default_factory=list)

    @property
    def edition(self) -> int:
        """1, or the newest edition its changelog describes."""
        return max((change.edition for change in self.changelog), default=1)


class Course:
    """Reads ``curriculum/`` and answers where things are; creates nothing."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.root = self.settings.root
        try:
            syllabus = _load_yaml(self.settings.syllabus_path)
            skills = _load_yaml(self.settings.skills_path)
        except FileNotFoundError as error:
            raise SetupError(f"{error.filename} is missing: run mle from the course checkout "
                             "(`cd ml-engineer-labs && mle list`), or set MLE_ROOT to it"
                             ) from None
        self.labs = [Lab(**entry) for entry in syllabus["labs"]]
        self.skills = [Skill(**entry) for entry in skills["skills"]]

    def lab(self, ref: str | int) -> Lab:
        """Find a lab by id (``lab02-model-evaluation``), prefix (``lab02``) or number (``2``)."""
        text = str(ref).strip().lower()
        match = re.fullmatch(r"(?:lab)?0*(\d+)", text)
        for lab in self.labs:
            if text == lab.id or (match and int(match.group(1)) == lab.number):
                return lab
        known = ", ".join(f"{lab.number} ({lab.id})" for lab in self.labs)
        raise UsageError(f"there is no lab {ref!r}; choose one of: {known} "
                         "(`mle list` shows them)")

    def solution_dir(self, lab: Lab) -> Path:
        return self.root / "solutions" / lab.id

    def release_dir(self, lab: Lab) -> Path:
        return self.root / "labs" / lab.id

    def work_dir(self, lab: Lab) -> Path:
        return self.settings.work_path / lab.id

    def is_available(self, lab: Lab) -> bool:
        """A lab exists once its source notebooks do."""
        return all((self.solution_dir(lab) / name).is_file() for name in lab.notebooks)

    def require_available(self, lab: Lab) -> None:
        if not self.is_available(lab):
            raise UsageError(f"{lab.id} is not written yet (no notebooks in "
                             f"{self.solution_dir(lab)}); `mle list` shows the labs you can take")

    def require_released(self, lab: Lab) -> None:
        self.require_available(lab)
        missing = [n for n in lab.notebooks if not (self.release_dir(lab) / n).is_file()]
        if missing:
            raise SetupError(f"{lab.id} has not been released ({', '.join(missing)} missing in "
                             f"{self.release_dir(lab)}); run `mle release {lab.number}`")

    def skill_names(self) -> dict[str, str]:
        return {skill.id: skill.name for skill in self.skills}


def _load_yaml(path: Path) -> dict:
    """A YAML file's content; parsed once per version of the file in this process (a command
    builds several ``Course`` objects, and the pure-Python parser takes ~0.1 s a file)."""
    info = path.stat()
    return _parsed(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=8)
def _parsed(path: str, _mtime: int, _size: int) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where it was built
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)
