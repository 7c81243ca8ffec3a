"""`check_project` / `mle portfolio check`: full marks for each rendered template, and each
kind of breakage scored down with the right message and a non-zero exit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder.errors import UsageError
from autograder.portfolio import check_project
from autograder.portfolio.cli import app
from autograder.portfolio.documents import (
    decision_log_item,
    model_card_item,
    readme_item,
    skills_item,
)
from autograder.portfolio.layout import dockerfile_practices_item
from autograder.portfolio.ownership import NAME as OWNERSHIP
from autograder.portfolio.tools import zizmor_item

runner = CliRunner()
DECISION_LOG = "decision log (read by a human reviewer)"
CLAIMS = "reported numbers match reports/metrics.json"
REPRODUCED = "reported metrics reproduce (`make metrics` in a clean copy)"


def test_untouched_template_fails_on_ownership_alone(projects, kind):
    """Every candidate could publish the untouched render: it must not pass, and the report
    must say what to do. Everything else about the template is sound, except the items only
    the candidate can produce: their own work, their decision log and their measured numbers."""
    report = projects.report(kind)
    assert not report.passed, report.render()
    own = report.item(OWNERSHIP)
    assert (own.points_earned, own.passed, own.required) == (0, False, True)
    for part in ("only 0 lines in 0 files differ", "0 commit(s) after the template's first",
                 "Problem section is still the template's", "TODO(you): markers remain in "
                 "README.md", "ADAPTING.md"):
        assert part in own.fix, own.fix
    log = report.item(DECISION_LOG)
    assert [i.name for i in report.items if not i.passed] == [OWNERSHIP, CLAIMS, REPRODUCED,
                                                              DECISION_LOG]
    assert (log.points_earned, log.required) == (0, False)
    assert "TODO(you) prompts" in log.fix and "what failed" in log.fix
    for name in (CLAIMS, REPRODUCED):
        assert "reports/metrics.json is missing" in report.item(name).detail
        assert "run `make metrics` and commit" in report.item(name).fix
    assert report.score == report.max_score - sum(
        report.item(name).points_possible for name in (OWNERSHIP, CLAIMS, REPRODUCED,
                                                       DECISION_LOG))
    tests = report.item("test suite passes")
    assert re.match(r"\d+ tests passed", tests.detail)
    assert report.item("ruff is clean").passed
    assert (projects.path(kind) / "ADAPTING.md").is_file()


@pytest.mark.xdist_group("adapted-pipeline")  # one worker checks it once
def test_a_project_adapted_as_the_guide_says_passes(projects):
    report = projects.adapted_report("training-pipeline")
    assert report.passed, report.render()
    assert report.score == report.max_score
    lines, files, commits = map(int, re.match(r"(\d+) lines in (\d+) files changed, (\d+) own",
                                              report.item(OWNERSHIP).detail).groups())
    assert lines >= 100 and files >= 4 and commits == 2
    assert re.match(r"\d+ numbers in README.md and MODEL_CARD.md agree",
                    report.item(CLAIMS).detail)
    assert re.match(r"(\d+) of \1 metrics within", report.item(REPRODUCED).detail)


@pytest.mark.parametrize("kind", ["prediction-api", "monitored-service"])
def test_each_service_adapted_as_its_guide_says_passes(projects, kind):
    """The services' suites already run (and pass) in the untouched-render test; the
    adaptation adds docs, a test and the numbers, so every other item is scored here, and
    the numbers are reproduced for real."""
    from autograder.portfolio.claims import reproduced_item

    root = projects.adapted(kind)
    report = check_project(path=root, run_tests=False)
    assert report.passed, report.render()
    assert report.score == report.max_score
    reproduced = reproduced_item(root, timeout=300)
    assert reproduced.passed, reproduced.detail


@pytest.mark.xdist_group("adapted-pipeline")
def test_a_number_edited_by_hand_is_caught(projects, tmp_path):
    """The candidate 'improves' the README's ROC AUC: the claims item names the number."""
    from autograder.portfolio.claims import claims_item

    root = Path(shutil.copytree(projects.adapted("training-pipeline"), tmp_path / "edited"))
    readme = root / "README.md"
    text, count = re.subn(r"(\| `roc_auc` \| )0\.\d+", r"\g<1>0.7412", readme.read_text())
    assert count == 1
    readme.write_text(text)
    item = claims_item(root)
    assert not item.passed
    assert "README.md: `roc_auc` is written 0.7412, but reports/metrics.json has" in item.detail


def test_a_hollow_adaptation_is_scored_down(projects, tmp_path):
    """A new problem paragraph in two commits, and nothing else: the floor catches it."""
    from tests.portfolio.adapt import CANDIDATE, PROBLEM

    root = Path(shutil.copytree(projects.path("training-pipeline"), tmp_path / "hollow"))
    readme = root / "README.md"
    text = re.sub(r"## Problem\n.*?(?=\n## )", PROBLEM, readme.read_text(), count=1, flags=re.S)
    for message, content in (("problem", text), ("tweak", text + "\nMy project.\n")):
        readme.write_text(content)
        for args in (["add", "-A"], ["commit", "-m", message]):
            subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                           env={**os.environ, **CANDIDATE})
    own = check_project(path=root, run_tests=False).item(OWNERSHIP)
    assert not own.passed
    assert "lines in 1 files differ from the template" in own.fix
    assert "commit(s) after" not in own.fix and "Problem section" not in own.fix


def test_history_squashed_into_the_first_commit_has_no_own_commits(projects, tmp_path):
    root = Path(shutil.copytree(projects.adapted("training-pipeline"), tmp_path / "squashed"))
    shutil.rmtree(root / ".git")
    own = check_project(path=root, run_tests=False).item(OWNERSHIP)
    assert not own.passed and "0 commit(s) after the template's first one" in own.fix


@pytest.mark.xdist_group("adapted-pipeline")  # one worker checks it once
def test_rendered_report_is_a_checklist(projects):
    text = projects.adapted_report("training-pipeline").render()
    assert "[PASS] model card (required): 10/10" in text
    assert "[PASS] your own work, not the untouched template (required): 20/20" in text
    assert "-> PASSED" in text
    assert text.endswith("human reviewer's judgement (the decision log, the model card, the code).")


def test_missing_model_card(projects, tmp_path):
    root = projects.copy("training-pipeline", tmp_path / "p")
    (root / "MODEL_CARD.md").unlink()
    report = check_project(path=root, run_tests=False)
    item = report.item("model card")
    assert (item.points_earned, item.passed) == (0, False)
    assert "MODEL_CARD.md is missing" in item.fix
    assert not report.passed
    result = runner.invoke(app, ["check", str(root), "--no-tests"])
    assert result.exit_code == 1
    assert "MODEL_CARD.md is missing" in result.output
    assert "NOT PASSED" in result.output


def test_thin_model_card_sections_are_named(projects, tmp_path):
    root = projects.copy("training-pipeline", tmp_path / "p")
    card = root / "MODEL_CARD.md"
    thin = re.sub(r"## Ethical considerations\n.*?(?=\n## )", "## Ethical considerations\n\nTBD\n",
                  card.read_text(), flags=re.DOTALL)
    card.write_text(thin)
    item = model_card_item(root)
    assert not item.passed
    assert 0 < item.points_earned < item.points_possible
    assert "ethical considerations" in item.fix


@pytest.mark.parametrize(("section", "filler", "reason"), [
    ("Limitations", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.",
     "limitations: placeholder text ('Lorem ipsum')"),
    ("Limitations", "The model has limitations. " * 12, "limitations: it repeats itself"),
    ("Ethical considerations", None, "ethical considerations: the same text as 'limitations'"),
])
def test_filler_model_card_text_is_named(projects, tmp_path, section, filler, reason):
    """Long enough to pass a length check, and says nothing: scored down, with the reason."""
    root = projects.copy("training-pipeline", tmp_path / "p")
    card = root / "MODEL_CARD.md"
    text = card.read_text()
    if filler is None:  # paste the Limitations section into another one
        filler = re.search(r"## Limitations\n(.*?)(?=\n## )", text, flags=re.S).group(1)
    card.write_text(re.sub(rf"## {section}\n.*?(?=\n## )", lambda _: f"## {section}\n\n{filler}\n",
                           text, count=1, flags=re.S))
    item = model_card_item(root)
    assert not item.passed
    assert item.points_earned < item.points_possible
    assert "replace filler" in item.fix and reason in item.fix, item.fix


def test_the_shipped_model_cards_have_no_filler(projects, kind):
    item = model_card_item(projects.path(kind))
    assert item.passed, item.fix


def test_failing_test_is_named(projects, tmp_path):
    root = projects.copy("training-pipeline", tmp_path / "p")
    for slow in ("model", "data"):  # keep this run short: the code tests and a broken one
        shutil.rmtree(root / "tests" / slow)
    for slow in ("test_cli.py", "test_tracking.py", "test_report.py"):  # MLflow, training
        (root / "tests" / "code" / slow).unlink()
    (root / "tests" / "code" / "test_broken.py").write_text(
        "def test_deliberately_broken():\n    assert 1 + 1 == 3\n")
    report = check_project(path=root, run_tests=True)
    item = report.item("test suite passes")
    assert not item.passed
    assert "tests/code/test_broken.py::test_deliberately_broken" in item.detail
    assert "1 of" in item.detail
    assert not report.passed
    assert item in report.failed_required


def test_invalid_workflow(projects, tmp_path):
    root = projects.copy("training-pipeline", tmp_path / "p")
    workflow = root / ".github" / "workflows" / "ci.yml"
    workflow.write_text(workflow.read_text().replace("runs-on: ubuntu-latest", "runs_on: linux"))
    report = check_project(path=root, run_tests=False)
    item = report.item("CI workflow is valid (GitHub schema)")
    assert not item.passed
    assert "GitHub's schema" in item.fix
    assert not report.passed
    assert runner.invoke(app, ["check", str(root), "--no-tests"]).exit_code == 1


def test_unpinned_action_fails_the_security_audit(projects, tmp_path):
    root = projects.copy("prediction-api", tmp_path / "p")
    workflow = root / ".github" / "workflows" / "ci.yml"
    workflow.write_text(re.sub(r"actions/checkout@\w+", "actions/checkout@v4",
                               workflow.read_text()))
    item = zizmor_item(root)
    assert not item.passed
    assert "unpinned" in item.detail or "not pinned" in item.detail
    assert "full commit SHA" in item.fix


def test_root_image_without_healthcheck(projects, tmp_path):
    root = projects.copy("prediction-api", tmp_path / "p")
    dockerfile = root / "Dockerfile"
    text = re.sub(r"HEALTHCHECK .*?\n\n", "", dockerfile.read_text(), flags=re.DOTALL)
    dockerfile.write_text(text.replace("USER 10001:10001\n", ""))
    item = dockerfile_practices_item(root)
    assert not item.passed
    assert "non-root" in item.fix and "HEALTHCHECK" in item.fix


def test_readme_without_diagram_and_unmapped_skills(projects, tmp_path):
    root = projects.copy("monitored-service", tmp_path / "p")
    readme = root / "README.md"
    text = readme.read_text().replace("```mermaid", "```text")
    readme.write_text(text.replace("| Model monitoring (`model-monitoring`)", "| Vibes"))
    assert "mermaid" in readme_item(root).fix
    skills = skills_item(root)
    assert not skills.passed and "Vibes" in skills.fix


def test_check_refuses_a_missing_directory(tmp_path):
    with pytest.raises(UsageError, match="not a directory"):
        check_project(path=tmp_path / "nope")
    result = runner.invoke(app, ["check", str(tmp_path / "nope")])
    assert result.exit_code == UsageError.exit_code


@pytest.mark.xdist_group("adapted-pipeline")
def test_a_full_check_is_recorded_as_skills_evidence(projects, tmp_path, monkeypatch):
    from autograder.course import Course
    from autograder.portfolio.cli import _record
    from autograder.progress import evidence_markdown, read_store
    from tests.conftest import REPO

    monkeypatch.setenv("MLE_ROOT", str(REPO))
    monkeypatch.setenv("MLE_STATE_DIR", str(tmp_path / "state"))
    path = projects.adapted("training-pipeline")
    report = projects.adapted_report("training-pipeline")
    assert _record(path, report)
    [entry] = read_store(Course()).portfolio
    assert entry["project"] == "training-pipeline"  # from .copier-answers.yml
    assert (entry["score"], entry["passed"]) == (report.score, True)
    sql_row = next(line for line in evidence_markdown(Course()).splitlines()
                   if line.startswith("| SQL |"))
    assert (f"training-pipeline `{path.name}` (rubric {report.max_score}/{report.max_score})"
            in sql_row)


def test_tests_that_cannot_fail_are_named(projects, tmp_path):
    root = projects.copy("training-pipeline", tmp_path / "p")
    (root / "tests" / "code" / "test_padding.py").write_text(
        "def test_always_green():\n    assert True\n\n\n"
        "def test_runs_but_checks_nothing():\n    total = sum([1, 2])\n")
    item = check_project(path=root, run_tests=False).item(
        "tests can fail (each has a real assertion)")
    assert not item.passed and item.points_earned < item.points_possible
    assert "test_padding.py::test_always_green (only asserts a constant)" in item.fix
    assert "test_padding.py::test_runs_but_checks_nothing (asserts nothing)" in item.fix


def test_a_ci_that_runs_no_tests_is_scored_down(projects, tmp_path):
    root = projects.copy("prediction-api", tmp_path / "p")
    workflow = root / ".github" / "workflows" / "ci.yml"
    workflow.write_text(workflow.read_text().replace("make test", "echo tests skipped"))
    item = check_project(path=root, run_tests=False).item("CI runs the tests")
    assert not item.passed and "no workflow step runs the tests" in item.fix


def test_a_linter_silenced_by_its_own_config_is_scored_down(projects, tmp_path):
    root = projects.copy("monitored-service", tmp_path / "p")
    (root / "ruff.toml").write_text('[lint]\nignore = ["ALL"]\n')
    report = check_project(path=root, run_tests=False)
    assert report.item("ruff is clean").passed  # silenced: ruff itself finds nothing
    item = report.item("the linter is not silenced by its own config")
    assert not item.passed and 'ignore = ["ALL"]' in item.fix


def _tiny_project(root: Path, tested: int, untested: int) -> Path:
    """A src/ package with ``tested + untested`` functions, ``tested`` of them tested."""
    (root / "src" / "tiny").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "tiny" / "__init__.py").write_text("".join(
        f"def f{i}(x):\n    y = x + {i}\n    return y * 2\n\n" for i in range(tested + untested)))
    (root / "tests" / "test_tiny.py").write_text("from tiny import *\n\n" + "".join(
        f"def test_f{i}():\n    assert f{i}(1) == {2 * (1 + i)}\n\n" for i in range(tested)))
    (root / "pyproject.toml").write_text("[project]\nname = 'tiny'\nversion = '0'\n")
    return root


def test_coverage_below_the_floor_is_scored_down_with_the_figure(tmp_path):
    from autograder.portfolio.tools import coverage_item, run_project_tests

    low = run_project_tests(_tiny_project(tmp_path / "low", tested=1, untested=3), 120)
    item = coverage_item(low)
    assert low.total == 1 and not item.passed
    assert item.detail.startswith("50% of the lines"), item.detail  # 6 of 12 statements
    high = run_project_tests(_tiny_project(tmp_path / "high", tested=4, untested=0), 120)
    assert coverage_item(high).passed and high.coverage == 100


def test_the_suite_runs_in_the_project_own_environment_when_it_has_one(tmp_path):
    """A candidate's .venv (from `make install`) is what their tests run in; without a usable
    one (here a .venv whose Python is gone), the toolkit's Python stands in and the report
    says so."""
    import sys

    from autograder.portfolio.tools import run_project_tests

    own = _tiny_project(tmp_path / "own", tested=1, untested=0)
    (own / ".venv" / "bin").mkdir(parents=True)
    (own / ".venv" / "bin" / "python").symlink_to(sys.executable)
    assert "the project's own environment (.venv/)" in run_project_tests(own, 120).how
    bare = _tiny_project(tmp_path / "bare", tested=1, untested=0)
    (bare / ".venv" / "bin").mkdir(parents=True)
    (bare / ".venv" / "bin" / "python").write_text("#!/bin/sh\nexit 127\n")
    (bare / ".venv" / "bin" / "python").chmod(0o755)
    run = run_project_tests(bare, 120)
    assert "toolkit's Python" in run.how and run.returncode == 0


def test_a_decision_log_of_headings_is_scored_down_and_says_what_is_missing(projects, tmp_path):
    """The four topics as bare headings, no reasons: present, not substantial."""
    root = projects.copy("training-pipeline", tmp_path / "p")
    (root / "docs" / "decisions.md").write_text(
        "# Decisions\n\n## Framing\n- Framing\n## Data\n- Data\n## Metric\n- Metric\n"
        "## What failed\n- Nothing failed\n")
    item = decision_log_item(root)
    assert not item.passed and item.points_earned <= 1
    assert "it does not say anything about what failed" in item.fix
    assert "write at least 150" in item.fix
    (root / "docs" / "decisions.md").unlink()
    missing = decision_log_item(root)
    assert missing.points_earned == 0 and "write docs/decisions.md" in missing.fix
