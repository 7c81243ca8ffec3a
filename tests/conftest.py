"""Shared test set-up: every tool that writes under HOME writes into a temp dir instead,
so a test run leaves the machine as it found it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOY = Path(__file__).resolve().parent / "fixtures" / "toycourse"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--cases-alone", action="store_true",
                     help="grade each wrong/right answer of tests/notebooks on its own "
                          "instead of sharing submissions between cases on other exercises")


@pytest.fixture(scope="session", autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("home")
    patch = pytest.MonkeyPatch()
    for name, value in {
        "HOME": home, "IPYTHONDIR": home / ".ipython", "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local/share/jupyter", "MPLCONFIGDIR": home / ".mpl",
        "SCIKIT_LEARN_DATA": home / "sklearn", "MLE_DATA_DIR": home / "mle-data",
        "MLE_STATE_DIR": home / "mle-state", "MLE_WORK_DIR": home / "mle-work",
        "MLFLOW_DISABLE_TELEMETRY": "true", "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore",
    }.items():
        patch.setenv(name, str(value))
    patch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    patch.delenv("MLE_ROOT", raising=False)
    yield home
    patch.undo()


@pytest.fixture(scope="session")
def toy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the toy course, released once per session."""
    from autograder.release import release_lab
    from autograder.settings import Settings

    root = tmp_path_factory.mktemp("toy") / "course"
    shutil.copytree(TOY, root)
    release_lab(lab="1", settings=Settings(root=root))
    return root


@pytest.fixture
def toy_env(toy_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the `mle` commands at the toy course, with fresh work and state folders."""
    monkeypatch.setenv("MLE_ROOT", str(toy_root))
    monkeypatch.setenv("MLE_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("MLE_STATE_DIR", str(tmp_path / "state"))
    return toy_root
