"""Hostile submissions graded in the bubblewrap sandbox, beside honest ones.

Each fixture tries one thing a clever learner would try with the grader's rights, then answers
``add`` correctly only if the trick worked: a working exploit would earn ex01's 2 points, so each
must score exactly 4 of 6 (or, where the trick only harms others, earn its honest 6 while the
others lose nothing). One real grading run serves every test here.
"""

from __future__ import annotations

import csv
import socket
import sqlite3
import threading
from pathlib import Path

import pytest

from autograder.grade import grade_cohort
from autograder.sandbox import find_bwrap, kernel_environment, resolve_mode
from autograder.settings import Settings
from tests.support import solved, write_submission

LAB, NB = "lab01-toy", "toy.ipynb"
RIGHT = "    return a + b\n"
WRONG = "    return a - b\n"
SECRET = "MLE_GRADER_SECRET"

pytestmark = pytest.mark.skipif(
    find_bwrap() is None and not __import__("os").environ.get("CI"),
    reason="bubblewrap cannot run here (not Linux, or user namespaces are blocked)")


def _exploit(trick: str) -> str:
    """An ex01 answer: ``trick`` sets ``won``; ``add`` is right only when it did."""
    return f"won = False\ntry:\n{_indent(trick)}\nexcept Exception:\n    won = False\n" \
           f"def add(a, b):\n    if won:\n{_indent(RIGHT)}\n{WRONG}"


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.strip().splitlines())


@pytest.fixture(scope="module")
def host_server():
    """A listener on the host's loopback: learner code must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    threading.Thread(target=lambda: [server.accept() for _ in range(10)], daemon=True).start()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def graded(toy_root, tmp_path_factory, host_server):
    tmp = tmp_path_factory.mktemp("hostile")
    subs, out = tmp / "subs", tmp / "out"
    home = Path.home()
    tricks = {
        # the instructor's source notebooks, found through the course's own paths
        "reads-solutions": f"""
import json, pathlib, autograder
for root in (pathlib.Path(autograder.__file__).resolve().parents[1], pathlib.Path({str(toy_root)!r})):
    source = root / "solutions" / {LAB!r} / {NB!r}
    if source.exists():
        won = "return a + b" in source.read_text()
        break""",
        # every other student's grade: overwrite the output folder
        "writes-out": f"""
import pathlib
out = pathlib.Path({str(out)!r})
(out / "grades.csv").write_text("student_id,lab,score\\n")
(out / "gradebook.db").write_bytes(b"ruined")
won = True""",
        "reads-secret": f"import os\nwon = os.environ.get({SECRET!r}) == 'hunter2'",
        # every process it can see, the grading worker and the grader included, killed
        "signals-worker": """
import os, signal
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            os.kill(int(entry), signal.SIGKILL)
        except OSError:
            pass
won = False""",
        # other students' notebooks: in the submissions folder, or in other jobs' folders
        "reads-neighbours": f"""
import glob
won = bool(glob.glob({str(subs)!r} + "/*/*.ipynb") + glob.glob("/tmp/mle-*/work/*.ipynb"))""",
        "host-network": f"""
import socket
socket.create_connection(("127.0.0.1", {host_server}), timeout=2).close()
won = True""",
        # a startup file in the grader's real HOME and in the kernel's own
        "a-plants-startup": f"""
import os, pathlib
for home in (pathlib.Path({str(home)!r}), pathlib.Path.home()):
    folder = home / ".ipython" / "profile_default" / "startup"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "00-evil.py").write_text("import os; os._exit(1)")
won = False""",
    }
    for student, trick in tricks.items():
        write_submission(subs, student, NB, solved(toy_root, LAB, NB, {"ex01-answer": _exploit(trick)}))
    for student in ("honest", "z-victim"):
        write_submission(subs, student, NB, solved(toy_root, LAB, NB))
    patch = pytest.MonkeyPatch()
    patch.setenv(SECRET, "hunter2")
    try:
        results = grade_cohort(lab=LAB, submissions=subs, out=out, workers=2,
                               settings=Settings(root=toy_root), progress=False, sandbox="bwrap")
    finally:
        patch.undo()
    return {r.student_id: r for r in results}, out


@pytest.mark.parametrize("student,score", [
    ("reads-solutions", 4), ("reads-secret", 4), ("host-network", 4),
    ("signals-worker", 4), ("reads-neighbours", 4),
    ("writes-out", 4),
    ("a-plants-startup", 4),  # answers wrong on purpose; the victim is what matters
    ("honest", 6), ("z-victim", 6),
])
def test_each_submission_earns_what_it_earned(graded, student, score):
    results, _ = graded
    assert (results[student].status, results[student].score) == ("graded", score), \
        results[student].message


def test_a_hostile_submission_cannot_touch_the_output(graded):
    results, out = graded
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(results), "every student keeps a row in grades.csv"
    with sqlite3.connect(out / "gradebook.db") as book:  # still a database, with every student
        students = {row[0] for row in book.execute("SELECT id FROM student")}
    assert students >= set(results)


def test_the_grader_home_has_no_planted_startup_file(graded):
    assert not list(Path.home().glob(".ipython/profile_default/startup/00-evil.py"))


def test_auto_refuses_to_run_unsandboxed_when_no_sandbox_exists(monkeypatch):
    from autograder import sandbox
    from autograder.errors import UsageError

    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(UsageError, match="--sandbox none"):
        resolve_mode("auto")
    assert resolve_mode("none") == "none"


def test_the_kernel_environment_is_an_allow_list(tmp_path, monkeypatch):
    from autograder.sandbox import JobFolder, Limits

    monkeypatch.setenv(SECRET, "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    env = kernel_environment(JobFolder(tmp_path).create(), sandboxed=True, limits=Limits())
    assert SECRET not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"].startswith(str(tmp_path)) and env["MLFLOW_DISABLE_TELEMETRY"] == "true"


@pytest.fixture(scope="module")
def tampered(toy_root, tmp_path_factory):
    """Tampering that earns nothing but must be reported: status `flagged`, scored fairly."""
    import nbformat

    tmp = tmp_path_factory.mktemp("tampered")
    subs = tmp / "subs"
    wrong = {"ex01-answer": "def add(a, b):\n" + WRONG}
    # its own "check helpers", which pass everything
    write_submission(subs, "shadows-checks", NB, solved(toy_root, LAB, NB, wrong))
    fake = subs / "shadows-checks" / "autograder"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "checks.py").write_text("def assert_same(*a, **k): pass\ncheck_type = assert_close = "
                                    "assert_same\ndef assert_raises(*a, **k): pass\n")
    # an emptied test cell, and a second cell claiming the same grade id
    edited = solved(toy_root, LAB, NB, wrong)
    for cell in list(edited.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex01-tests":
            cell.source = "pass"
            twin = nbformat.from_dict(dict(cell))
            twin["id"] = "twin"
            edited.cells.insert(edited.cells.index(cell) + 1, twin)
    write_submission(subs, "edits-tests", NB, edited)
    planter = "import pathlib\nstartup = pathlib.Path.home() / '.ipython/profile_default/startup'\n" \
              "startup.mkdir(parents=True, exist_ok=True)\n(startup / 'x.py').write_text('')\n" \
              "def add(a, b):\n" + RIGHT
    write_submission(subs, "plants-and-loops", NB, solved(toy_root, LAB, NB, {
        "ex01-answer": planter, "ex03-answer": "while True:\n    pass"}))
    # a wrong mean, made to look right by replacing what the tests compare with
    for student, patch in {
            "patches-isclose": "import math\nmath.isclose = lambda *a, **k: True",
            "patches-abs": "import builtins\nbuiltins.abs = lambda x: 0",
            "patches-testing": "import numpy.testing, pandas.testing\n"
                               "numpy.testing.assert_allclose = lambda *a, **k: None\n"
                               "pandas.testing.assert_frame_equal = lambda *a, **k: None",
            "patches-approx": "import pytest\npytest.approx = lambda expected, **k: expected"}.items():
        write_submission(subs, student, NB, solved(toy_root, LAB, NB, {
            "ex02-answer": patch + "\ndef mean(xs):\n    return 0.0"}))
    results = grade_cohort(lab=LAB, submissions=subs, out=tmp / "out", workers=2, timeout=5,
                           settings=Settings(root=toy_root), progress=False, sandbox="bwrap")
    return {r.student_id: r for r in results}


@pytest.mark.parametrize("student,score,finding", [
    ("shadows-checks", 4, "autograder/"),
    ("edits-tests", 4, "'ex01-tests'"),
    # flagged wins over timeout (a person must look); the message still says it timed out
    ("plants-and-loops", 5, "startup file"),
    # every test after the patch refuses to run: only ex01 (before it) counts
    ("patches-isclose", 2, "math.isclose"),
    ("patches-abs", 2, "builtins.abs"),
    ("patches-testing", 2, "numpy.testing.assert_allclose"),
    ("patches-approx", 2, "pytest.approx"),
])
def test_tampering_is_flagged_and_scored_fairly(tampered, student, score, finding):
    result = tampered[student]
    assert (result.status, result.score) == ("flagged", score), result.message
    assert result.message.startswith("flagged: ") and finding in result.message


def test_flagged_and_timed_out_says_both(tampered):
    assert "longer than 5 s" in tampered["plants-and-loops"].message


def test_a_checkout_under_tmp_stays_visible_in_the_sandbox(tmp_path):
    """The tmpfs on /tmp is mounted before the Python environment and the job folder, so a
    checkout (and its .venv) under /tmp, as in a fresh clone there, is not hidden by it."""
    import sys

    from autograder.sandbox import JobFolder, Limits, bwrap_command

    command = bwrap_command(["python"], JobFolder(tmp_path), {}, Limits(), "bwrap")
    tmpfs = command.index("--tmpfs")
    python = command.index(str(Path(sys.prefix).resolve()))
    assert tmpfs < python and tmpfs < command.index(str(tmp_path / "work"))
