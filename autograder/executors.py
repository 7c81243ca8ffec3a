"""Where submissions run: a small, swappable piece.

An executor takes ``Job``s and yields one ``JobResult`` per job, in any order, as they finish.
``ProcessPoolExecutor`` runs each submission in a worker process (one per core by default);
``InProcessExecutor`` runs them one by one here (a learner's ``mle check``). A sandboxed or a
distributed executor (Dask) only has to honour the same two-line contract.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Iterable, Iterator
from typing import Protocol

from .execute import Job, JobResult, run_job


class Executor(Protocol):
    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]: ...


class InProcessExecutor:
    """Run jobs one after another in this process (the kernel is still its own process)."""

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        for job in jobs:
            yield run_job(job)


class ProcessPoolExecutor:
    """Run jobs in ``workers`` spawned worker processes.

    A worker that dies (rather than a kernel, which ``run_job`` already handles) breaks the
    pool; its jobs are retried once in a fresh pool, then reported as errors, so one bad
    submission can never cost the others their grades.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        pending = [(job, 0) for job in jobs]
        while pending:
            retry: list[tuple[Job, int]] = []
            context = multiprocessing.get_context("spawn")
            size = min(self.workers, len(pending))
            with cf.ProcessPoolExecutor(size, mp_context=context) as pool:
                futures = {pool.submit(run_job, job): (job, tries) for job, tries in pending}
                for future in cf.as_completed(futures):
                    job, tries = futures[future]
                    try:
                        yield future.result()
                    except Exception as error:  # BrokenProcessPool, pickling, ...
                        if tries == 0:
                            retry.append((job, 1))
                        else:
                            yield JobResult(job.student, job.notebook_name, None, "error",
                                            f"the grading worker crashed ({type(error).__name__})")
            pending = retry


def make_executor(workers: int) -> Executor:
    return InProcessExecutor() if workers <= 1 else ProcessPoolExecutor(workers)
