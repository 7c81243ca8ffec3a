"""Where submissions run: a small, swappable piece.

An executor takes ``Job``s and yields one ``JobResult`` per job, in any order, as they finish.
``ProcessPoolExecutor`` runs each submission in a worker process (one per core by default);
``InProcessExecutor`` runs them one by one here (a learner's ``mle check``); ``DaskExecutor``
runs them on a Dask cluster. The sandbox is inside each job, so every executor keeps it.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from .errors import UsageError
from .jobs import Job, JobResult, grade_in_worker, prestart_zygote, run_job
from .startup import skip_slow_optional_imports


class Executor(Protocol):
    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]: ...


class InProcessExecutor:
    """Run jobs one after another in this process (the kernel is still its own process).

    With ``reuse_kernels`` (a learner's ``mle check``) the kernel is forked from a zygote that
    the grader starts before it reads and sanitises the notebook, so the lab's imports run on
    another core meanwhile instead of after it."""

    parallel = 1  # kernels running at once on this machine

    def __init__(self, *, reuse_kernels: bool = False) -> None:
        self.reuse_kernels = reuse_kernels

    def prepare(self, template: Job) -> None:
        """Called once the jobs' settings are known, before the first job is planned."""
        if self.reuse_kernels:
            prestart_zygote(template)

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        for job in jobs:
            yield run_job(job, reuse_kernels=self.reuse_kernels)


class ProcessPoolExecutor:
    """Run jobs in ``workers`` spawned worker processes.

    A worker that dies (rather than a kernel, which ``run_job`` already handles) breaks the
    whole pool, failing every job still in it. Those jobs are retried one at a time, each in
    a pool of its own, so only the job that kills its worker again is reported as an error:
    one bad submission never costs the others their grades.
    """

    def __init__(self, workers: int, task: Callable[[Job], JobResult] = grade_in_worker) -> None:
        self.workers = self.parallel = max(1, workers)
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


class DaskExecutor:
    """Run jobs on a Dask distributed cluster: the one at ``scheduler``, or a local one.

    Jobs carry what they need (notebook and files as bytes, limits; a lab's data by name, built
    once per machine), the sandbox runs on the worker, and the results come back here, where the
    parent alone records them. A job whose worker dies is retried ``retries`` times at most on
    another worker, then reported as an error: it never goes round the whole cluster.
    Scheduler traffic stays on this machine (``tcp://127.0.0.1``/``localhost``) or uses TLS.
    """

    def __init__(self, scheduler: str | None = None, *, workers: int = 2, retries: int = 1,
                 task: Callable[[Job], JobResult] = grade_in_worker) -> None:
        if scheduler is not None:
            check_scheduler_address(scheduler)
        self.scheduler, self.workers, self.retries, self.task = scheduler, workers, retries, task
        self.parallel = 1 if scheduler else workers  # a remote cluster's machines are its own

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        import uuid

        import dask
        from distributed import Client, LocalCluster, as_completed

        # one task per worker thread at a time: a worker that dies takes only the job it ran
        # with it (queued ones would be counted against it too)
        with dask.config.set({"distributed.scheduler.allowed-failures": self.retries,
                              "distributed.scheduler.worker-saturation": 1.0,
                              "distributed.logging.distributed": "error"}):
            cluster = None if self.scheduler else LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None, silence_logs=50)
            try:
                with Client(cluster or self.scheduler) as client:
                    run = uuid.uuid4().hex[:8]
                    futures = {client.submit(self.task, job, pure=False,
                                             key=f"grade-{run}-{i}"): job
                               for i, job in enumerate(jobs)}
                    for future in as_completed(futures):
                        job = futures[future]
                        try:
                            yield future.result()
                        except Exception as error:  # KilledWorker, a lost connection, ...
                            yield JobResult(job.student, job.notebook_name, None, "error",
                                            f"the grading worker died ({type(error).__name__})"
                                            f" on every try ({self.retries + 1}); the submission "
                                            "may exhaust memory or kill its parent")
            finally:
                if cluster is not None:
                    cluster.close()


def check_scheduler_address(address: str) -> None:
    """Grading traffic carries hidden tests and grades: localhost or TLS only."""
    from urllib.parse import urlparse

    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.scheme == "tls":
        return
    if parsed.scheme in ("tcp", "inproc") and parsed.hostname in ("127.0.0.1", "localhost",
                                                                  "::1", None):
        return
    raise UsageError(f"the Dask scheduler {address!r} is neither on this machine nor reached "
                     "over TLS: grading traffic carries hidden tests, so use "
                     "`--scheduler tls://HOST:PORT` (see the README)")
