"""Render each portfolio template once per session, in a temporary HOME, and cache the
full check (which runs the project's own test suite) so each suite runs once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.portfolio import KINDS, check_project, new_project


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory):
    """No global git identity, no writes to the real HOME, no MLflow telemetry."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        mp.setenv("MPLCONFIGDIR", str(home / "mpl"))
        mp.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                    "GIT_COMMITTER_EMAIL", "GIT_DIR", "GIT_WORK_TREE"):
            mp.delenv(var, raising=False)
        yield home


class Projects:
    """Lazily rendered projects and their full reports, one of each per kind."""

    def __init__(self, root: Path) -> None:
        self.root, self._paths, self._reports = root, {}, {}
        self._adapted, self._adapted_reports = {}, {}

    def path(self, kind: str) -> Path:
        if kind not in self._paths:
            self._paths[kind] = new_project(kind=kind, dest=self.root / kind,
                                            name=f"Demo {kind}", author="Test Author")
        return self._paths[kind]

    def report(self, kind: str):
        if kind not in self._reports:
            self._reports[kind] = check_project(path=self.path(kind), run_tests=True)
        return self._reports[kind]

    def adapted(self, kind: str) -> Path:
        """The project made a candidate's own, as ADAPTING.md asks (tests/portfolio/adapt.py)."""
        from tests.portfolio.adapt import adapt

        if kind not in self._adapted:
            self._adapted[kind] = adapt(self.path(kind), self.root / f"adapted-{kind}")
        return self._adapted[kind]

    def adapted_report(self, kind: str):
        if kind not in self._adapted_reports:
            self._adapted_reports[kind] = check_project(path=self.adapted(kind), run_tests=True)
        return self._adapted_reports[kind]

    def copy(self, kind: str, dest: Path) -> Path:
        """A throwaway copy to break on purpose (without .git)."""
        return Path(shutil.copytree(self.path(kind), dest, ignore=shutil.ignore_patterns(
            ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis")))


@pytest.fixture(scope="session")
def projects(isolated_home, tmp_path_factory: pytest.TempPathFactory) -> Projects:
    return Projects(tmp_path_factory.mktemp("portfolio"))


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    return request.param
