"""A worker process that dies costs only its own submission its grade."""

from __future__ import annotations

import os

from autograder.executors import ProcessPoolExecutor
from autograder.jobs import Job, JobResult


def die_for_bob(job: Job) -> JobResult:
    """Stands in for run_job; kills its worker process outright for bob's submission."""
    if job.student == "bob":
        os._exit(9)
    return JobResult(job.student, job.notebook_name, "{}", "ok")


def test_a_crashing_worker_is_retried_alone_then_reported():
    jobs = [Job(name, "nb.ipynb", "{}") for name in ("amy", "bob", "cy", "dee")]
    results = {r.student: r for r in ProcessPoolExecutor(2, task=die_for_bob).run(jobs)}
    assert sorted(results) == ["amy", "bob", "cy", "dee"]
    assert results["bob"].status == "error" and "crashed" in results["bob"].message
    assert all(results[s].status == "ok" for s in ("amy", "cy", "dee"))
