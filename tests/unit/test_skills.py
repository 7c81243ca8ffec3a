"""The skills evidence is complete and true: every skill employers list has a lab exercise
and a portfolio project behind it, names resolve, and the published map is current."""

from __future__ import annotations

from typer.testing import CliRunner

from autograder import skills as skills_module
from autograder.cli import app
from autograder.course import Course
from autograder.settings import Settings
from autograder.skills import evidence_problems, skills_evidence, skills_markdown
from tests.conftest import REPO


def _course() -> Course:
    return Course(Settings(root=REPO))


def test_every_skill_has_an_exercise_and_portfolio_evidence_and_every_name_resolves():
    assert evidence_problems(_course()) == []


def test_the_fifteen_skills_and_the_ones_that_used_to_be_missing_from_the_portfolio():
    rows = {row.skill.id: row for row in skills_evidence(_course())}
    assert len(rows) == 15
    for skill in ("sql", "deep-learning", "cloud-ml"):
        assert rows[skill].portfolio, skill
    assert rows["cloud-ml"].skill.offline  # said honestly: no account, and how we prepare


def test_a_skill_without_portfolio_evidence_is_reported():
    course = _course()
    sql = next(skill for skill in course.skills if skill.id == "sql")
    sql.portfolio = []
    assert evidence_problems(course) == ["SQL: no portfolio project shows it"]


def test_a_skill_without_an_exercise_is_reported(monkeypatch):
    course = _course()
    real = skills_module.lab_exercises(course)
    without_docker = [(ref, [s for s in named if s != "docker"]) for ref, named in real]
    monkeypatch.setattr(skills_module, "lab_exercises", lambda _course: without_docker)
    assert evidence_problems(course) == ["Docker and containerisation: no lab exercise practises it"]


def test_an_exercise_naming_an_unknown_skill_is_reported(monkeypatch):
    course = _course()
    real = skills_module.lab_exercises(course)
    ref, named = real[0]
    monkeypatch.setattr(skills_module, "lab_exercises",
                        lambda _course: [(ref, [*named, "kubernetes"]), *real[1:]])
    [problem] = evidence_problems(course)
    assert problem.startswith(f"L{ref.lab.number} {ref.id} names a skill that does not exist: "
                              "'kubernetes'")


def test_portfolio_evidence_must_point_at_real_template_files():
    course = _course()
    sql = next(skill for skill in course.skills if skill.id == "sql")
    sql.portfolio[0].files = ["sql/no_such_query.sql"]
    [problem] = evidence_problems(course)
    assert "training-pipeline has no sql/no_such_query.sql" in problem
    sql.portfolio[0].project = "kaggle-notebook"
    [problem] = evidence_problems(course)
    assert "unknown portfolio project 'kaggle-notebook'" in problem


def test_the_published_skills_map_is_the_generated_one():
    published = (REPO / "curriculum" / "skills-map.md").read_text(encoding="utf-8")
    assert published == skills_markdown(_course()), \
        "curriculum/skills-map.md is stale: run `mle skills --markdown > curriculum/skills-map.md`"


def test_mle_skills_prints_the_matrix(monkeypatch):
    monkeypatch.setenv("MLE_ROOT", str(REPO))
    result = CliRunner().invoke(app, ["skills"])
    assert result.exit_code == 0, result.output
    assert "SQL  [sql]  level asked: intermediate-advanced" in result.output
    assert "portfolio, training-pipeline: the flights problem's rows come from a SQLite warehouse" in result.output
    assert "Lab 6 Deep-learning inference on GPU: ex01" in result.output
    assert "!" not in result.output.splitlines()[-1]
