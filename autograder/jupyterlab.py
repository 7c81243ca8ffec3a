"""A learner's JupyterLab: the course's own Jupyter settings, on the learner's ``work/`` folder.

``mle lab`` (and ``make lab``) starts JupyterLab with ``curriculum/jupyter`` added to
``JUPYTER_CONFIG_PATH``. That folder keeps nbgrader's Validate button (and gives it a per-cell
timeout that fits a full-data run), and turns off what a learner should not meet: the
instructor's panels (Create Assignment, Formgrader, the course and assignment lists) and
Jupyter's news pop-up. The learner's own Jupyter settings (``~/.jupyter``) still apply and win.
The course's command-line tools come first on ``PATH``, so ``mle check 1`` works in a
JupyterLab terminal.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .course import Course
from .settings import Settings

CONFIG = Path("curriculum") / "jupyter"


@dataclass(frozen=True)
class LabLaunch:
    command: list[str]
    env: dict[str, str]
    folder: Path


def lab_launch(*, settings: Settings | None = None, port: int | None = None,
               open_browser: bool = True,
               ip: str = "127.0.0.1") -> LabLaunch:
    """The command and environment that start a learner's JupyterLab on ``work/``."""
    course = Course(settings)
    folder = course.settings.work_path
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    config = str(course.settings.root / CONFIG)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (config, env.get("JUPYTER_CONFIG_PATH", "")) if p)
    tools = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([tools, env.get("PATH", "")])
    env["MLE_ROOT"] = str(course.settings.root)  # a kernel in work/<lab>/ checks this course
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}", f"--ip={ip}"]
    if port is not None:
        command.append(f"--port={port}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI run as root
    return LabLaunch(command, env, folder)
