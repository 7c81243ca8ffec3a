"""Every lab's grading is itself tested, on the real course, with real kernels.

For each written lab, one cohort is graded once per test run: the solution must earn full
marks, the untouched release zero, every realistic wrong answer in ``wrong_answers/<lab>.yaml``
exactly its expected score and every answer in ``right_answers/<lab>.yaml`` full marks. The
lab's notebooks must also follow curriculum/AUTHORING.md and ``labs/`` must be what
``mle release`` makes today.

Cases that change different exercises share one graded submission (a *pack*): a notebook run
costs the same with one wrong answer as with five, and grading each case alone made the six
cohorts most of ``make test``. Sharing checks more, not less: each wrong answer must lose
exactly its points *in the exercises it changes*, each right answer none, and the pack nothing
anywhere else. A mistake that also costs points in a later exercise (which reuses the
function) says where, ``also_loses_in: [ex12]``, and shares no pack with a case on that
exercise; one that cannot share at all is marked ``alone: true``. ``--cases-alone`` grades
every case on its own (what an author wants when a pack fails).
"""

from __future__ import annotations

import ast
import json
import pickle
import re
from html import unescape
from pathlib import Path

import nbformat
import pytest
import yaml
from filelock import FileLock

from autograder.course import Course
from autograder.grade import grade_cohort
from autograder.notebooks import HIDDEN_REGION, exercise_of, exercises, nbgrader_meta, read_notebook
from autograder.release import release_is_current
from autograder.settings import Settings
from tests.conftest import REPO
from tests.support import solved, write_submission

WRONG = Path(__file__).parent / "wrong_answers"
RIGHT = Path(__file__).parent / "right_answers"
MIN_EXERCISES = {"lab01-python-sql": 8, "lab02-model-evaluation": 10, "lab03-pipelines": 10,
                 "lab04-api-serving": 12, "lab05-mlops": 12, "lab06-gpu-inference": 12}
COURSE = Course(Settings(root=REPO))
LABS = [lab for lab in COURSE.labs if COURSE.is_available(lab)]


def _cases(folder: Path, lab_id: str) -> list[dict]:
    path = folder / f"{lab_id}.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.is_file() else []


def _wrong_answers(lab_id: str) -> list[dict]:
    """Realistic mistakes, each with the exact score it must earn."""
    return _cases(WRONG, lab_id)


def _right_answers(lab_id: str) -> list[dict]:
    """Correct answers written differently from the solution: each must earn full marks."""
    return _cases(RIGHT, lab_id)


def _lab_param(lab):
    return pytest.param(lab, id=lab.id, marks=[pytest.mark.xdist_group(lab.id),
                                              pytest.mark.notebooks])


CASES = [pytest.param(lab, case, id=f"{lab.id}:{case['name']}",
                      marks=[pytest.mark.xdist_group(lab.id), pytest.mark.notebooks])
         for lab in LABS for case in _wrong_answers(lab.id)]
RIGHT_CASES = [pytest.param(lab, case, id=f"{lab.id}:{case['name']}",
                            marks=[pytest.mark.xdist_group(lab.id), pytest.mark.notebooks])
               for lab in LABS for case in _right_answers(lab.id)]

def _touched(case: dict) -> set[str]:
    """The exercises whose answer cells a case replaces, and those where it says it also
    loses points (``also_loses_in``: a later exercise that reuses the wrong function)."""
    return {exercise_of(grade_id) for grade_id in case["answers"]} | \
        set(case.get("also_loses_in", []))


def _packs(lab_id: str, alone: bool = False) -> dict[str, list[dict]]:
    """The lab's cases grouped into submissions, in file order: a case joins the first pack
    whose cases change none of its exercises; ``alone: true`` cases get their own."""
    packs: dict[str, list[dict]] = {}
    for case in _wrong_answers(lab_id) + _right_answers(lab_id):
        home = None if alone or case.get("alone") else next(
            (name for name, members in packs.items() if name.startswith("pack-") and
             not any(_touched(case) & _touched(m) for m in members)), None)
        if home is None:
            home = case["name"] if alone or case.get("alone") else f"pack-{len(packs) + 1}"
        packs.setdefault(home, []).append(case)
    return packs


_graded: dict[str, tuple] = {}


def graded(lab, tmp_root: Path, alone: bool = False):
    """Grade the lab's test cohort once per test run; later calls reuse the results.

    pytest-xdist's loadgroup does not keep a lab's parametrised tests on one worker here, so
    the workers share the graded cohort through a file lock in the run's common temp folder:
    the first to ask grades it, the others wait and read its results.
    Returns the results by submission, the output folder and the packs.
    """
    if lab.id not in _graded:
        packs = _packs(lab.id, alone)
        with FileLock(tmp_root / f"{lab.id}.lock"):
            saved = tmp_root / lab.id / "results.pickle"
            if not saved.exists():
                results = _grade_cohort(lab, tmp_root, packs)
                saved.write_bytes(pickle.dumps(results))
            _graded[lab.id] = (pickle.loads(saved.read_bytes()), tmp_root / lab.id / "out",
                               packs)
    return _graded[lab.id]


def _grade_cohort(lab, tmp_root: Path, packs: dict[str, list[dict]]) -> dict:
    folder, out = tmp_root / lab.id / "submissions", tmp_root / lab.id / "out"
    for name in lab.notebooks:
        write_submission(folder, "solution", name, solved(REPO, lab.id, name))
        write_submission(folder, "release", name,
                         nbformat.read(REPO / "labs" / lab.id / name, as_version=4))
        for pack, cases in packs.items():
            answers = {k: v for case in cases for k, v in case["answers"].items()}
            write_submission(folder, pack, name, solved(REPO, lab.id, name, answers))
    results = grade_cohort(lab=lab.id, submissions=folder, out=out,
                           settings=Settings(root=REPO), progress=False)
    return {r.student_id: r for r in results}


def _case_result(lab, case, cohort):
    """The graded submission holding ``case`` and the points lost: in the case's own
    exercises, in the whole submission, and what its other wrong answers account for."""
    results, _, packs = cohort(lab)
    pack = next(name for name, cases in packs.items() if case in cases)
    result = results[pack]
    assert result.status == "graded", f"{pack} holding {case['name']}: {_describe(result)}"
    own = sum(e.max_points - e.points for e in result.exercises if e.id in _touched(case))
    explained = sum(result.max_score - c["expected_score"] for c in packs[pack]
                    if "expected_score" in c)
    others = [c["name"] for c in packs[pack] if c is not case]
    where = f"graded in {pack}" + (f" with {', '.join(others)}" if others else "")
    claimed = set().union(*(_touched(c) for c in packs[pack]))
    stray = {e.id: e.max_points - e.points for e in result.exercises
             if e.id not in claimed and e.points < e.max_points}
    if stray:
        where += f"; lost in exercises no case in it names: {stray}"
    return result, own, result.max_score - result.score, explained, where


def _spill_message(lost: float, explained: float, where: str) -> str:
    return (f"the submission lost {lost:g} points where its wrong answers account for "
            f"{explained:g} ({where}): one of them costs points in an exercise it does not "
            f"name; find it with `pytest tests/notebooks --cases-alone -k <lab>` and add "
            f"`also_loses_in: [exNN]` to it")


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory, worker_id) -> Path:
    """A folder every test worker of this run shares (the run's own temp root)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    folder = shared / "labs-shared"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def cohort(tmp_root, request):
    """lab -> (results by submission, output folder, packs), graded once per run."""
    alone = bool(request.config.getoption("--cases-alone"))
    return lambda lab: graded(lab, tmp_root, alone)


def _describe(result) -> str:
    lines = [f"{result.status}: {result.message}"]
    for exercise in result.exercises:
        for cell in exercise.cells:
            if cell.status != "passed":
                lines.append(f"  {cell.grade_id}: {cell.status} {cell.points:g}/"
                             f"{cell.max_points:g} {cell.message}")
    return "\n".join(lines)


def test_there_are_labs_to_test():
    assert any(lab.id == "lab01-python-sql" for lab in LABS)


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_release_is_current(lab):
    stale = release_is_current(lab=lab, course=COURSE)
    assert not stale, f"labs/{lab.id}/{stale} is out of date: run `mle release {lab.number}`"


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_notebooks_follow_the_lab_format(lab):
    skills = {s.id for s in COURSE.skills}
    for name in lab.notebooks:
        source = read_notebook(COURSE.solution_dir(lab) / name)
        params = [c for c in source.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, "exactly one cell tagged `parameters`"
        for variable in ("smoke", "seed", "data_dir"):
            assert f"{variable} =" in params[0].source, f"parameters cell lacks {variable}"
        found = exercises(source)
        assert len(found) >= MIN_EXERCISES.get(lab.id, 1)
        for exercise in found:
            assert exercise.title, f"{exercise.id} has no title (mle.title metadata)"
            assert exercise.skills and set(exercise.skills) <= skills, exercise.id
            assert exercise.tests, f"{exercise.id} has no grade cell"
            assert exercise.answers, f"{exercise.id} has no answer cell"
            assert len(exercise.hints) >= 2, f"{exercise.id} needs hints at 2+ levels"
        for folder in (COURSE.solution_dir(lab), COURSE.release_dir(lab)):
            notebook = read_notebook(folder / name)
            saved = [i for i, c in enumerate(notebook.cells)
                     if c.cell_type == "code" and (c.outputs or c.execution_count)]
            assert not saved, f"{folder / name} has saved outputs in cells {saved}"
        grade_ids = [nbgrader_meta(c).get("grade_id") for c in source.cells
                     if nbgrader_meta(c).get("grade_id")]
        assert len(grade_ids) == len(set(grade_ids)), "grade ids must be unique"


def _returns_none(node: ast.expr) -> bool:
    """A call to one of the checks that return None (assert_raises returns the exception)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
        node.func.id in {"assert_same", "check_type", "assert_close", "print"}


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_grade_cells_end_in_a_statement(lab):
    """nbgrader reads a grade cell's displayed value as partial credit: only a bare name (the
    deliberate score variable) or a check that returns None may end one, in the source and in
    the learner's release (where the hidden tests are gone)."""
    for folder in (COURSE.solution_dir(lab), COURSE.release_dir(lab)):
        for name in lab.notebooks:
            for cell in read_notebook(folder / name).cells:
                grade_id = nbgrader_meta(cell).get("grade_id")
                if not nbgrader_meta(cell).get("grade") or cell.source.lstrip().startswith("%"):
                    continue
                body = ast.parse(cell.source).body
                last = body[-1] if body else None
                if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Name) \
                        and not _returns_none(last.value):
                    pytest.fail(f"{folder.name}/{name} {grade_id} ends with the expression "
                                f"`{ast.unparse(last)[:60]}`: assign it (`_ = ...`)")


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_solution_earns_full_marks(lab, cohort):
    results, _, _ = cohort(lab)
    result = results["solution"]
    assert result.status == "graded" and result.score == result.max_score > 0, \
        _describe(result)


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_untouched_release_earns_zero(lab, cohort):
    results, _, _ = cohort(lab)
    result = results["release"]
    assert result.status == "graded" and result.score == 0, _describe(result)


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_validate_fails_every_visible_test_of_the_untouched_release(lab, tmp_path):
    """A learner who presses Validate (nbgrader, in JupyterLab) on a notebook they have not
    touched must see every test fail: a visible test that passes on ``raise
    NotImplementedError`` tells them an exercise is done when it is not."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = 120
    for name in lab.notebooks:
        notebook = read_notebook(REPO / "labs" / lab.id / name)
        for cell in notebook.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = cell.source.replace("smoke = False", "smoke = True")
        path = tmp_path / name
        nbformat.write(notebook, path)
        failed = {" ".join(c["source"].split())
                  for c in Validator(config=config).validate(str(path)).get("failed", [])}
        passing = [nbgrader_meta(c)["grade_id"] for c in notebook.cells
                   if nbgrader_meta(c).get("grade") and c.cell_type == "code"
                   and " ".join(c.source.split()) not in failed]
        assert passing == [], f"{name}: these visible tests pass on the untouched release"


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_lab_has_realistic_wrong_answers(lab):
    assert len(_wrong_answers(lab.id)) >= 3, f"add wrong answers to {WRONG / lab.id}.yaml"


@pytest.mark.parametrize("lab,case", CASES)
def test_wrong_answer_earns_exactly_its_score(lab, case, cohort):
    result, own, lost, explained, where = _case_result(lab, case, cohort)
    expected = result.max_score - case["expected_score"]
    assert own == expected, f"{case['name']} ({case['why']}) lost {own:g} points in " \
        f"{sorted(_touched(case))}, expected {expected:g} ({where}); if it also costs " \
        f"points in a later exercise, name it in `also_loses_in`:\n{_describe(result)}"
    assert lost == explained, _spill_message(lost, explained, where)


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_lab_has_right_but_different_answers(lab):
    assert len(_right_answers(lab.id)) >= 2, f"add right answers to {RIGHT / lab.id}.yaml"


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_cases_name_exercises_that_exist(lab):
    """A case's answer cells and ``also_loses_in`` must be the lab's own: a typo would make
    packing treat two overlapping cases as independent."""
    known = {e.id for name in lab.notebooks
             for e in exercises(read_notebook(COURSE.solution_dir(lab) / name))}
    for case in _wrong_answers(lab.id) + _right_answers(lab.id):
        unknown = _touched(case) - known
        assert not unknown, f"{case['name']} names exercises {sorted(unknown)} not in {lab.id}"
        assert set(case) <= {"name", "why", "answers", "expected_score", "also_loses_in",
                             "alone"}, f"{case['name']}: unknown keys {sorted(set(case))}"


def test_case_names_are_unique_per_lab():
    for lab in LABS:
        names = [c["name"] for c in _wrong_answers(lab.id) + _right_answers(lab.id)]
        assert len(names) == len(set(names)) and not {"solution", "release"} & set(names) \
            and not any(n.startswith("pack-") for n in names), lab.id


@pytest.mark.parametrize("lab,case", RIGHT_CASES)
def test_right_but_different_answer_earns_full_marks(lab, case, cohort):
    result, own, lost, explained, where = _case_result(lab, case, cohort)
    assert own == 0 and result.max_score > 0, f"{case['name']} ({case['why']}) lost " \
        f"{own:g} points in {sorted(_touched(case))} ({where}):\n{_describe(result)}"
    assert lost == explained, _spill_message(lost, explained, where)


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_feedback_never_contains_hidden_tests(lab, cohort):
    results, out, _ = cohort(lab)
    hidden_lines = set()
    for name in lab.notebooks:
        text = json.loads((COURSE.solution_dir(lab) / name).read_text())
        for cell in text["cells"]:
            for region in HIDDEN_REGION.findall("".join(cell["source"])):
                hidden_lines |= {line.strip() for line in region.splitlines()
                                 if len(line.strip()) > 25 and "HIDDEN TESTS" not in line}
        released = (COURSE.release_dir(lab) / name).read_text()
        hidden_lines = {line for line in hidden_lines if json.dumps(line)[1:-1] not in released}
    assert hidden_lines, "a lab without hidden tests is too easy to game"
    # the blank release fails every test, so its feedback carries every failure message;
    # (other students' pages also show their own answers, which may share lines with tests)
    for page in (out / "feedback" / "release").rglob("*.html"):
        html = unescape(page.read_text())
        leaked = [line for line in hidden_lines if line in html]
        assert not leaked, f"{page} shows hidden test code: {leaked[:2]}"


# A threshold typed next to arr_delay in code (``arr_delay > 15``, ``["arr_delay"] >= 15``).
TYPED_TARGET = re.compile(r"arr_delay\W{0,3}\s*>=?\s*\d")


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS])
def test_the_labs_share_one_target_definition(lab):
    """The flights target is defined once (``autograder.labdata.problem``): a lab that labels
    flights imports it, and no code cell types its own threshold (Labs 1-2 once said > 15)."""
    for folder in (COURSE.solution_dir(lab), COURSE.release_dir(lab)):
        for name in lab.notebooks:
            cells = read_notebook(folder / name).cells
            code = "\n".join(c.source for c in cells if c.cell_type == "code")
            typed = TYPED_TARGET.findall(re.sub(r"#.*", "", code))  # comments may explain it
            assert not typed, f"{folder.name}/{name} types its own target: {typed}"
            if "arr_delay" in code and folder == COURSE.solution_dir(lab):
                assert "autograder.labdata.problem" in code, \
                    f"{name} labels flights without importing autograder.labdata.problem"


def test_lab3_splits_forward_in_time_and_records_the_split():
    """Lab 2 shows that a random split flatters this data (AUC about 0.70 against 0.65 forward on
    Lab 3's own pipeline), so Lab 3 splits, tunes, compares and trains forward in time, and its
    training script saves the split with the model. The graded run of ex10 checks the saved
    metadata against ``describe(time_split(...))``; this checks the source says so everywhere."""
    lab = COURSE.lab("lab03-pipelines")
    cells = read_notebook(COURSE.solution_dir(lab) / "pipelines.ipynb").cells
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "train_test_split" not in code, "Lab 3 splits at random somewhere"
    setup = next(c.source for c in cells if "load_flights(" in c.source)
    assert "time_split(df" in setup
    assert "cv=TimeSeriesSplit(" in code
    script = next(c.source for c in cells if c.source.startswith("%%writefile train.py"))
    assert '"split": describe(' in script and "time_split(" in script


# Labs whose hints were rewritten in their second edition (issue 11); Labs 4-5 still end some
# exercises with a hint that is nearly the answer.
HINTS_STOP_SHORT = {"lab01-python-sql", "lab02-model-evaluation", "lab03-pipelines"}
HINT = re.compile(r"<details><summary>💡 Hint (\d)</summary>(.*?)</details>", re.S)
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@pytest.mark.parametrize("lab", [_lab_param(lab) for lab in LABS
                                 if lab.id in HINTS_STOP_SHORT])
def test_the_last_hint_stops_short_of_the_answer(lab):
    """A hint that is the solution teaches copying: at most 3 of the last hint's lines, and
    fewer than half of them, may be lines of the solution."""
    for name in lab.notebooks:
        cells = read_notebook(COURSE.solution_dir(lab) / name).cells
        solution = {line.strip() for cell in cells for region in SOLUTION_REGION.findall(cell.source)
                    for line in region.splitlines() if len(line.strip()) > 12}
        for cell in cells:
            hints = HINT.findall(cell.source) if cell.cell_type == "markdown" else []
            if not hints:
                continue
            lines = [line.strip() for line in hints[-1][1].splitlines() if len(line.strip()) > 12]
            copied = [line for line in lines if line in solution]
            assert len(copied) <= 3 and len(copied) * 2 < max(len(lines), 1) or not copied, \
                f"{name}: the last hint of {cell.metadata.get('mle', {}).get('hints')} is " \
                f"the answer: {copied}"


def test_packs_share_no_exercise():
    """Two cases in one submission never change, or lose points in, the same exercise;
    ``alone`` cases and ``--cases-alone`` give one case per submission."""
    for lab in LABS:
        for name, cases in _packs(lab.id).items():
            seen: set[str] = set()
            for case in cases:
                assert not seen & _touched(case), f"{lab.id} {name}: {case['name']} overlaps"
                seen |= _touched(case)
            assert name.startswith("pack-") or len(cases) == 1
        assert all(len(cases) == 1 for cases in _packs(lab.id, alone=True).values())
