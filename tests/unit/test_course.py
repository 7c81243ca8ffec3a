"""Labs are found by id, prefix or number; mistakes say what to type instead."""

from __future__ import annotations

import pytest

from autograder.course import Course
from autograder.errors import SetupError, UsageError
from autograder.settings import Settings
from tests.conftest import REPO, TOY


@pytest.mark.parametrize("ref", ["1", "01", "lab01", "lab01-python-sql", " LAB01-Python-SQL "])
def test_lab_references(ref):
    assert Course(Settings(root=REPO)).lab(ref).id == "lab01-python-sql"


def test_unknown_lab_lists_the_real_ones():
    with pytest.raises(UsageError, match="1 \\(lab01-python-sql\\)"):
        Course(Settings(root=REPO)).lab("9")


def test_real_course_has_six_labs_and_the_fifteen_skills():
    course = Course(Settings(root=REPO))
    assert [lab.number for lab in course.labs] == [1, 2, 3, 4, 5, 6]
    assert len(course.skills) == 15 and len({s.id for s in course.skills}) == 15
    skill_ids = {s.id for s in course.skills}
    for lab in course.labs:
        assert set(lab.skills) <= skill_ids, lab.id
    assert {s for lab in course.labs for s in lab.skills} == skill_ids, "every skill is taught"


def test_unwritten_lab_and_missing_course(tmp_path):
    course = Course(Settings(root=TOY))
    with pytest.raises(UsageError, match="not written yet"):
        course.require_available(course.lab(2))
    with pytest.raises(SetupError, match="MLE_ROOT"):
        Course(Settings(root=tmp_path))


def test_skills_map_names_every_skill():
    text = (REPO / "curriculum" / "skills-map.md").read_text()
    for skill in Course(Settings(root=REPO)).skills:
        assert f"`[{skill.id}]`" in text and skill.name in text, skill.id


def test_an_instructors_assignment_preloads_the_installed_modules_its_notebooks_import(tmp_path):
    import nbformat

    from autograder.assignment import imported_modules

    code = ["import pandas as pd\nimport numpy.linalg, json", "%matplotlib inline\n"
            "import matplotlib.pyplot as plt\nfrom sklearn.linear_model import Ridge",
            "from . import local\nimport not_a_module_anywhere_xyz", "def broken(:\n    pass",
            "!pip install scipy\nfrom scipy import stats"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code]
                                        + [nbformat.v4.new_markdown_cell("import torch")])
    nbformat.write(notebook, tmp_path / "ps1.ipynb")
    # stdlib json is not in builtin_module_names but is cheap and harmless to import
    assert set(imported_modules([tmp_path / "ps1.ipynb"])) == {"pandas", "numpy", "json",
                                                              "sklearn", "scipy"}
