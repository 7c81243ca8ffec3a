"""The repo's promises to a new user: setup files agree, CI runs the README's command."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import REPO


def test_environment_yml_installs_this_project_with_its_python():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    minimum = re.search(r">=\s*([\d.]+)", project["requires-python"]).group(1)
    assert python.split("=")[-1].startswith(minimum)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["-e .[dev]"], "environment.yml must install the project, not its own list"
    extra = [d for d in env["dependencies"] if isinstance(d, str) and
             not d.startswith(("python", "pip"))]
    assert not extra, f"packages belong in pyproject.toml, not environment.yml: {extra}"


def test_key_dependencies_are_pinned():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = dict(d.split(";")[0].split("==") for d in deps if "==" in d)
    for name, version in {"torch": "2.13.0", "mlflow": "3.17.2", "nbgrader": "0.9.6",
                          "papermill": "2.7.0", "scikit-learn": "1.9.1"}.items():
        assert pins.get(name) == version, name


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_learner_work_is_never_tracked():
    ignored = (REPO / ".gitignore").read_text().split()
    assert "work/" in ignored and ".mle/" in ignored
