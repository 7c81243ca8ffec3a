"""Where submissions run: a small, swappable piece.

An executor takes ``Job``s and yields one ``JobResult`` per job, in any order, as they finish.
``ProcessPoolExecutor`` runs each submission in a worker process (one per core by default);
``InProcessExecutor`` runs them one by one here (a learner's ``mle check``). A sandboxed or a
distributed executor (Dask) only has to honour the same two-line contract.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from .jobs import Job, JobResult, run_job
from .startup import skip_slow_optional_imports


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
    whole pool, failing every job still in it. Those jobs are retried one at a time, each in
    a pool of its own, so only the job that kills its worker again is reported as an error:
    one bad submission never costs the others their grades.
    """

    def __init__(self, workers: int, task: Callable[[Job], JobResult] = run_job) -> None:
        self.workers = max(1, workers)
        self.task = task

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        """Submit jobs as they come (workers start while the rest are still being planned)."""
        retry: list[Job] = []
        yield from self._pool(iter(jobs), self.workers, retry)
        for job in retry:
            yield from self._pool(iter([job]), 1, None)

    def _pool(self, jobs: Iterator[Job], size: int, retry: list[Job] | None) -> Iterator[JobResult]:
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(size, mp_context=context,
                                    initializer=skip_slow_optional_imports) as pool:
            futures = {pool.submit(self.task, job): job for job in jobs}
            for future in cf.as_completed(futures):
                job = futures[future]
                try:
                    yield future.result()
                except Exception as error:  # BrokenProcessPool, pickling, ...
                    if retry is not None:
                        retry.append(job)
                    else:
                        yield JobResult(job.student, job.notebook_name, None, "error",
                                        f"the grading worker crashed ({type(error).__name__}); "
                                        "the submission may exhaust memory or kill its parent")


def make_executor(workers: int) -> Executor:
    return InProcessExecutor() if workers <= 1 else ProcessPoolExecutor(workers)
