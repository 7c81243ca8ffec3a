"""Every command says how to use it, and every error says what to run next."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from autograder.cli import app
from tests.conftest import REPO

ROOT = get_command(app)
COMMANDS = [[name] for name in ROOT.commands if name != "portfolio"] + \
    [["portfolio", name] for name in ROOT.commands["portfolio"].commands]
# Errors whose fix is not a command (a file to rename or shrink, a tool to install); each
# says what to do instead.
NO_COMMAND = {
    "assignment.py": ["cannot be an nbgrader assignment name", "of files besides its notebooks"],
    "new.py": ["git is not installed"],
    "gradebook.py": ["nbgrader could not generate"],
    "documents.py": ["skills map"],
}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_help_has_an_example(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`mle {' '.join(command)} --help` shows no example"


def _raised_messages() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted((REPO / "autograder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            if name in ("UsageError", "SetupError") and node.exc.args:
                text = "".join(part.value for part in ast.walk(node.exc.args[0])
                               if isinstance(part, ast.Constant) and isinstance(part.value, str))
                found.append((Path(path).name, node.lineno, text))
    return found


def test_every_error_a_user_meets_names_the_next_command():
    messages = _raised_messages()
    assert len(messages) > 15  # the scan finds the errors it is about
    missing = [f"{name}:{line}: {text}" for name, line, text in messages
               if "`" not in text and not any(part in text for part in NO_COMMAND.get(name, []))]
    assert missing == [], "\n".join(missing)
