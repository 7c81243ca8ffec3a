"""The templates' lock files agree with their pyproject pins, for every problem (offline: the
files are compared, not resolved)."""

from __future__ import annotations

import re

import pytest

from autograder.portfolio import KINDS
from autograder.portfolio.locks import LOCKS, lock_problems, pins, requirements


@pytest.mark.parametrize("kind", KINDS)
def test_every_pin_is_locked_at_the_same_version_with_hashes(kind):
    assert lock_problems(kind) == []


def test_the_runtime_lock_leaves_out_the_dev_tools():
    from autograder.portfolio.new import TEMPLATES_DIR

    for kind in KINDS:
        folder = TEMPLATES_DIR / kind / "template"
        runtime = pins((folder / "requirements.txt").read_text())
        dev = pins((folder / "requirements-dev.txt").read_text())
        assert "pytest" not in runtime and "ruff" not in runtime
        assert {"pytest", "ruff", "mypy"} <= set(dev)
        assert set(LOCKS) == {"requirements.txt", "requirements-dev.txt"}


def test_a_bumped_pin_is_reported(tmp_path, monkeypatch):
    """Change a pin in the pyproject without relocking: the check names it."""
    import shutil

    from autograder.portfolio import locks

    templates = tmp_path / "portfolio_templates"
    shutil.copytree(locks.TEMPLATES_DIR / "training-pipeline", templates / "training-pipeline")
    pyproject = templates / "training-pipeline" / "template" / "pyproject.toml.jinja"
    text, count = re.subn(r'"pandas==[^"]+"', '"pandas==9.9.9"', pyproject.read_text())
    assert count == 1
    pyproject.write_text(text)
    monkeypatch.setattr(locks, "TEMPLATES_DIR", templates)
    assert any("pandas is" in p and "pyproject pins 9.9.9" in p
               for p in lock_problems("training-pipeline"))
    assert requirements("training-pipeline", extras=False)
