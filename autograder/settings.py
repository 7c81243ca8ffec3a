"""One typed settings object: the only place the toolkit's defaults live.

Every field can be set from the environment with the ``MLE_`` prefix (``MLE_TIMEOUT=120``),
which is how tests point the toolkit at a temporary course or work directory.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SYLLABUS = Path("curriculum") / "syllabus.yaml"


def find_root(start: Path | None = None) -> Path:
    """The course root: the nearest folder above ``start`` (default: cwd) with a syllabus,
    else the checkout this package was installed from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SYLLABUS).is_file():
            return folder
    return Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where the course lives and how grading runs."""

    model_config = SettingsConfigDict(env_prefix="MLE_", extra="ignore")

    root: Path = Field(default_factory=find_root, description="course root (has curriculum/)")
    work_dir: Path | None = Field(None, description="learners' own copies; default ROOT/work")
    state_dir: Path | None = Field(None, description="local state (progress); default ROOT/.mle")
    timeout: float = Field(60.0, gt=0, description="seconds a single cell may run when grading")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    kernel_name: str = "python3"
    sandbox: str = Field("auto", pattern="^(auto|bwrap|none)$",
                         description="around each grading kernel: auto (the strongest "
                                     "available; refuses to run without one), bwrap or none")
    startup_timeout: float = Field(60.0, gt=0, description="seconds to wait for a kernel to start")
    max_output_chars: int = Field(100_000, ge=1_000,
                                  description="a cell's text output is cut to this size")

    @cached_property
    def work_path(self) -> Path:
        return (self.work_dir or self.root / "work").resolve()

    @cached_property
    def state_path(self) -> Path:
        return (self.state_dir or self.root / ".mle").resolve()

    @property
    def syllabus_path(self) -> Path:
        return self.root / SYLLABUS

    @property
    def skills_path(self) -> Path:
        return self.root / "curriculum" / "skills.yaml"
