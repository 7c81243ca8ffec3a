"""``mle grade --executor dask``: the same grades as the local pool, on a real local cluster.

A cohort of good, wrong and hostile toy submissions is graded with the process pool and with a
Dask ``LocalCluster``; every student must get the same score and status. A job that kills its
Dask worker costs only its own grade, after one bounded retry.
"""

from __future__ import annotations

import os

import pytest

from autograder.errors import UsageError
from autograder.executors import DaskExecutor, check_scheduler_address
from autograder.grade import grade_cohort
from autograder.jobs import Job, JobResult, run_job
from autograder.sandbox import find_bwrap
from autograder.settings import Settings
from tests.support import solved, write_submission

pytest.importorskip("distributed")
LAB, NB = "lab01-toy", "toy.ipynb"
SANDBOX = "bwrap" if find_bwrap() else "none"
COHORT = {
    "good": {},
    "wrong-add": {"ex01-answer": "def add(a, b):\n    return a - b\n"},
    "exits": {"ex01-answer": "import sys\nsys.exit(0)"},
    "hooks": {"ex01-answer": "def add(a, b):\n    return a - b\nget_ipython().events.register("
                             "'post_run_cell', lambda r: setattr(r, 'error_in_exec', None))"},
    "blank": None,
}


def dies_for_bob(job: Job) -> JobResult:
    """Stands in for run_job: kills its Dask worker outright for bob's submission."""
    if job.student == "bob":
        os._exit(1)
    return run_job(job)


@pytest.fixture(scope="module")
def cohort(toy_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask") / "subs"
    for student, answers in COHORT.items():
        notebook = solved(toy_root, LAB, NB, answers) if answers is not None else \
            (toy_root / "labs" / LAB / NB).read_text()
        write_submission(folder, student, NB, notebook)
    return folder


def _grade(toy_root, cohort, out, executor=None):
    results = grade_cohort(lab=LAB, submissions=cohort, out=out, workers=2, executor=executor,
                           settings=Settings(root=toy_root), progress=False, sandbox=SANDBOX)
    return {r.student_id: (r.score, r.status) for r in results}


def test_dask_grades_exactly_like_the_pool(toy_root, cohort, tmp_path):
    pool = _grade(toy_root, cohort, tmp_path / "pool")
    dask = _grade(toy_root, cohort, tmp_path / "dask", DaskExecutor(workers=2))
    assert dask == pool
    assert pool["good"] == (6, "graded") and pool["blank"][0] == 0
    assert (tmp_path / "dask" / "report.html").is_file()


def test_a_job_that_kills_its_worker_costs_only_its_own_grade(toy_root, cohort, tmp_path):
    write_submission(cohort, "bob", NB, solved(toy_root, LAB, NB))
    try:
        graded = _grade(toy_root, cohort, tmp_path / "out",
                        DaskExecutor(workers=2, retries=1, task=dies_for_bob))
    finally:
        (cohort / "bob" / NB).unlink()
        (cohort / "bob").rmdir()
    assert graded["bob"] == (0, "error")
    assert graded["good"] == (6, "graded")
    assert len(graded) == len(COHORT) + 1  # nobody lost


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "localhost:8786",
                                     "tls://scheduler.example.org:8786"])
def test_local_or_tls_schedulers_are_accepted(address):
    check_scheduler_address(address)


@pytest.mark.parametrize("address", ["tcp://10.1.2.3:8786", "scheduler.example.org:8786",
                                     "ws://127.0.0.2:8786"])
def test_plain_traffic_off_this_machine_is_refused(address):
    with pytest.raises(UsageError, match="TLS"):
        check_scheduler_address(address)


def test_a_worker_without_the_graders_data_builds_it_once(tmp_path):
    """On another machine the job's data_dir does not exist: the lab's data, by name, is
    built there once and reused."""
    from autograder.jobs import _fill_scratch, machine_data

    job = Job("amy", "nb.ipynb", "{}", data_dir=tmp_path / "not-on-this-machine",
              data="flights", smoke=True)
    _fill_scratch(tmp_path / "work", job)
    built = sorted(p.name for p in (tmp_path / "work" / "data").iterdir())
    assert built, "no data was built"
    assert machine_data("flights", smoke=True) == machine_data("flights", smoke=True)
