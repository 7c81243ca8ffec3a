"""A grading job, and how one runs: one sanitised notebook, with papermill, in its own folder.

A ``Job`` is self-contained: the notebook and the source's files travel as text and bytes, with
the job's limits, so the same job can run in a local pool, a sandbox or on another machine.
``run_job`` is what a grading worker does with it: make a scratch folder holding only those
files and the lab's data, inject the parameters with papermill, execute every cell in a fresh
kernel (errors in a cell do not stop the run, as in nbgrader), and return the executed notebook.
It never raises: a cell or a notebook past its time limit, a kernel that dies, or anything else
becomes a status and a one-line message.

Executors (``executors.py``) decide *where* ``run_job`` runs; this module only says *how*.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import cgroups, tamper, zygote
from .provisioner import kernel_manager_class
from .reaper import reaping
from .sandbox import JobFolder, Limits

ENGINE = "mle-grading"
REPLY_KEY = "mle_reply"  # per-cell execute_reply status, recorded while running
OUTPUT_KEY = "mle_output_chars"  # how much a cell printed, kept or not


@dataclass
class Job:
    """Everything a worker needs, picklable; the sanitised notebook travels as JSON."""

    student: str
    notebook_name: str
    notebook_json: str
    files: dict[str, bytes] = field(default_factory=dict)  # the source's, by relative path
    data_dir: Path | None = None  # the lab's prepared data, where the grader prepared it
    data: str | None = None  # the lab's dataset by name: built once per machine where needed
    smoke: bool = False
    parameters: dict = field(default_factory=dict)
    timeout: float = 60.0  # one cell
    wall_timeout: float = 900.0  # the whole notebook, kernel start-up included
    startup_timeout: float = 60.0
    kernel_name: str = "python3"
    max_output_chars: int = 100_000
    sandbox: str = "none"  # "bwrap" or "none", already resolved by the grader
    limits: Limits = field(default_factory=Limits)
    preload: tuple[str, ...] = ()  # what the lab's kernels import: imported once per worker


@dataclass
class JobResult:
    student: str
    notebook_name: str
    notebook_json: str | None
    status: str  # "ok", "timeout" or "error"
    message: str = ""
    seconds: float = 0.0
    truncated_cells: list[int] = field(default_factory=list)
    leftovers: int = 0  # processes the notebook left running, stopped by the grader
    flags: list[str] = field(default_factory=list)  # tampering seen while it ran
    forked: bool = False  # its kernel came from the worker's zygote, not a fresh start


def _register_engine() -> None:
    """Add our engine to papermill's registry (its public ``register``): papermill's nbclient
    client, plus a record of every cell's reply and a cap on what a cell may print."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from traitlets import Int

    class GradingClient(PapermillNotebookClient):
        output_limit = Int(0, help="characters of output kept per cell; 0: no limit")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.output_chars: dict[int, int] = {}

        def output(self, outs, msg, display_id, cell_index):
            """Stop keeping a cell's output once it is over the limit (100 MB of prints must
            not sit in the worker's memory); errors are always kept: they decide the grade."""
            content, kind = msg.get("content", {}), msg.get("msg_type")
            size = len(content.get("text", "")) + sum(
                len(str(value)) for value in content.get("data", {}).values())
            seen = self.output_chars[cell_index] = self.output_chars.get(cell_index, 0) + size
            if self.output_limit and seen > self.output_limit and kind != "error" and \
                    not (kind == "execute_result" and size <= self.output_limit):
                return None
            return super().output(outs, msg, display_id, cell_index)

    class GradingEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     start_timeout=60, execution_timeout=None,
                                     output_limit=0, **kwargs):
            client = None

            def record_reply(cell, cell_index, execute_reply):
                content = (execute_reply or {}).get("content", {})
                cell.metadata[REPLY_KEY] = {"status": content.get("status", "unknown"),
                                            "ename": content.get("ename", ""),
                                            "evalue": content.get("evalue", "")}
                cell.metadata[OUTPUT_KEY] = client.output_chars.get(cell_index, 0)

            kwargs = {k: v for k, v in kwargs.items()
                      if k not in ("input_path", "timeout", "startup_timeout")}
            client = GradingClient(nb_man, timeout=execution_timeout,
                                   startup_timeout=start_timeout, kernel_name=kernel_name,
                                   log=logger, log_output=log_output, output_limit=output_limit,
                                   on_cell_executed=record_reply, **kwargs)
            return client.execute()

    papermill_engines.register(ENGINE, GradingEngine)


def run_job(job: Job, *, reuse_kernels: bool = False) -> JobResult:
    """Execute one submission; always returns a ``JobResult``.

    With ``reuse_kernels`` (a grading worker that runs many jobs) the kernel is forked from this
    worker's zygote, which imported ``job.preload`` once (see ``zygote.py``); should the zygote
    fail, the job runs again in a fresh kernel.
    """
    forked = _zygote_for(job) if reuse_kernels else None
    if forked is not None:
        try:
            return _run(job, forked)
        except zygote.ZygoteError as error:
            logging.getLogger(__name__).warning("a forked kernel failed (%s); fresh kernels "
                                                "from now on in this worker's next job", error)
            zygote.discard()
    return _run(job, None)


def grade_in_worker(job: Job) -> JobResult:
    """What a grading worker (a process pool's or a Dask cluster's) runs for each job."""
    return run_job(job, reuse_kernels=True)


def _zygote_for(job: Job) -> zygote.Zygote | None:
    key = _zygote_key(job)
    return zygote.for_job(key) if key else None


def prestart_zygote(job: Job) -> None:
    """Start the zygote that jobs like ``job`` will fork from, without waiting for it."""
    key = _zygote_key(job)
    if key:
        zygote.prestart(key)


def _zygote_key(job: Job) -> zygote.ZygoteKey | None:
    if not zygote.available() or job.kernel_name != "python3":
        return None
    data = ""
    if job.sandbox == "bwrap":  # mounted in the zygote's sandbox; copied per job without it
        try:
            data = str(_data_source(job) or "")
        except Exception:  # it fails again, with its message, when the job runs
            return None
    return zygote.ZygoteKey(job.sandbox, tuple(job.preload), job.limits, data)


def _run(job: Job, forked: zygote.Zygote | None) -> JobResult:
    started = time.monotonic()
    folder = JobFolder(Path(tempfile.mkdtemp(prefix=f"mle-{_safe(job.student)}-",
                                             dir=forked.jobs if forked else None)))
    notebook = nbformat.reads(job.notebook_json, as_version=4)
    status = "error"
    try:
        with reaping() as leftovers:  # whatever the notebook starts dies with its grading
            group = cgroups.create(folder.root.name, memory_mb=job.limits.memory_mb,
                                   max_pids=job.limits.max_pids)
            try:
                folder.create()
                shared = _fill_scratch(folder.work, job, forked=forked is not None)
                notebook, status, message = _execute(notebook, folder, job, group, shared,
                                                     forked=forked is not None)
            except zygote.ZygoteError:
                raise
            except ValueError as error:  # JSON, UTF-8: the kernel's messages became unreadable
                status = "error"
                cell = _stop_run(notebook, "KernelProtocolError",
                                 "the kernel's reply to this cell could not be read")
                message = (f"the kernel's messages could not be read while running "
                           f"{_describe(cell)} ({type(error).__name__}): the notebook may have "
                           "replaced json or part of the kernel; the cells after it were not run")
            except Exception as error:  # a grader bug must still give this student a row
                status, message = "error", f"grading failed: {type(error).__name__}: {error}"
                _stop_run(notebook, type(error).__name__, "grading failed in this cell")
            finally:
                if group is not None:  # the kernel is gone: whatever is left was left behind
                    group.settle()
                    stray = group.kill_all()
                    leftovers.extend([0] * stray)
                    if status == "error" and group.out_of_memory():
                        message = (f"the notebook used more than {job.limits.memory_mb} MB of "
                                   "memory and its kernel was stopped; the cells after it "
                                   "were not run")
                    group.remove()
        flags = tamper.home_findings(folder.home)
    finally:  # after the reaping, so nothing is still writing there
        if forked is not None:  # the job's folder and anything else left in the worker's
            forked.clear_jobs()
        else:
            shutil.rmtree(folder.root, ignore_errors=True)
    truncated = _limit_outputs(notebook, job.max_output_chars)
    return JobResult(job.student, job.notebook_name, nbformat.writes(notebook), status, message,
                     time.monotonic() - started, truncated, len(leftovers), flags,
                     forked=forked is not None)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40]


def _fill_scratch(scratch: Path, job: Job, *, forked: bool = False) -> Path | None:
    """The source's own files, and the lab's data: returned, to be mounted read-only in the
    sandbox, or (without one) copied, so no kernel can change what the next one reads. A kernel
    forked in the worker's sandbox finds the data that sandbox mounted read-only."""
    for name, content in job.files.items():
        target = (scratch / name).resolve()
        if not target.is_relative_to(scratch.resolve()):
            raise ValueError(f"{name!r} would be written outside the job's folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    source = _data_source(job)
    if source is None:
        return None
    if job.sandbox == "bwrap" and forked:
        (scratch / "data").symlink_to(zygote.DATA_MOUNT)
        return None
    if job.sandbox == "bwrap":
        (scratch / "data").mkdir(exist_ok=True)  # the mount point
        return source
    shutil.copytree(source, scratch / "data", dirs_exist_ok=True)
    return None


def _data_source(job: Job) -> Path | None:
    """Where the lab's prepared data is on this machine (built here if the job came from
    another one, as with Dask), or ``None`` for a lab without data."""
    source = job.data_dir
    if (source is None or not source.is_dir()) and job.data:
        source = machine_data(job.data, smoke=job.smoke)
    return source


def machine_data(name: str, *, smoke: bool) -> Path:
    """The dataset ``name``, built once on this machine (the data ships with the package, so
    any grading machine builds it offline) into a cache keyed by the code that builds it.

    Building the flights database takes seconds; a grading run or a learner's check used to
    pay that every time. The cache is private to this user (0700, owned by us); anything else
    found at its path is not trusted and a fresh folder is used instead."""
    import hashlib
    import os

    from . import labdata

    code = hashlib.sha256()
    for path in sorted(Path(labdata.__file__).parent.rglob("*.py")):
        code.update(path.read_bytes())
    cache = Path(tempfile.gettempdir()) / f"mle-data-{os.getuid()}"
    try:
        cache.mkdir(mode=0o700, exist_ok=True)
        info = cache.lstat()
        trusted = cache.is_dir() and not cache.is_symlink() and info.st_uid == os.getuid() \
            and not info.st_mode & 0o022
    except OSError:
        trusted = False
    if not trusted:
        cache = Path(tempfile.mkdtemp(prefix="mle-data-"))
    folder = cache / f"{name}-{'smoke' if smoke else 'full'}-{code.hexdigest()[:16]}"
    if not folder.is_dir():
        scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=cache))
        try:
            labdata.prepare(name, scratch, smoke=smoke)
            scratch.rename(folder)  # atomic; if another run won the race, theirs is the same
        except OSError:
            if not folder.is_dir():
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _execute(notebook: NotebookNode, folder: JobFolder, job: Job,
             group: cgroups.JobCgroup | None, shared_data: Path | None = None, *,
             forked: bool = False) -> tuple[NotebookNode, str, str]:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.engines import papermill_engines
    from papermill.parameterize import parameterize_notebook

    _register_engine()
    parameters = dict(job.parameters)
    if job.data_dir is not None or job.data:
        parameters["data_dir"] = str(folder.work / "data")
    notebook = _parameterize(_papermill_ready(notebook), parameters, job.kernel_name,
                             parameterize_notebook)
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + job.wall_timeout

    def cell_timeout(cell) -> int:  # the cell's limit, or what is left of the notebook's
        return max(1, math.ceil(min(job.timeout, deadline - time.monotonic())))

    try:
        papermill_engines.execute_notebook_with_engine(  # fills ``notebook`` in place
            ENGINE, notebook, kernel_name=job.kernel_name, progress_bar=False,
            log_output=False, execution_timeout=job.timeout, timeout_func=cell_timeout,
            start_timeout=min(job.startup_timeout, job.wall_timeout),
            output_limit=job.max_output_chars * 2, allow_errors=True,
            shutdown_kernel="immediate",
            kernel_manager_class=kernel_manager_class(
                folder, sandbox=job.sandbox, limits=job.limits, group=group, data=shared_data,
                forked=forked),
            resources={"metadata": {"path": str(folder.work)}})
    except CellTimeoutError:
        if time.monotonic() >= deadline - 1:
            cell = _stop_run(notebook, "TimeoutError", "the notebook ran out of time here")
            return notebook, "timeout", (
                f"the notebook ran longer than {job.wall_timeout:g} s in all and was stopped "
                f"in {_describe(cell)}; the cells after it were not run")
        cell = _stop_run(notebook, "TimeoutError",
                         f"this cell ran longer than {job.timeout:g} s and was stopped")
        return notebook, "timeout", (
            f"{_describe(cell)} ran longer than {job.timeout:g} s (an endless loop?); it was "
            "stopped and the cells after it were not run")
    except DeadKernelError:
        cell = _stop_run(notebook, "DeadKernelError", "the kernel died while running this cell")
        return notebook, "error", (
            f"the kernel died while running {_describe(cell)} (os._exit, a crash or running "
            "out of memory); the cells after it were not run")
    return notebook, "ok", ""


def _papermill_ready(notebook: NotebookNode) -> NotebookNode:
    """What papermill's ``load_notebook_node`` does to a notebook read from a file; ours
    stays in memory so no file with hidden tests ever sits where learner code could read it."""
    from papermill import __version__

    notebook.metadata.setdefault("papermill", {"default_parameters": {}, "parameters": {},
                                               "environment_variables": {},
                                               "version": __version__})
    for cell in notebook.cells:
        cell.metadata.setdefault("tags", [])
        # what the run records must start empty: a submission could carry a fake "ran fine"
        cell.metadata["papermill"] = {}
        cell.metadata.pop(REPLY_KEY, None)
        cell.metadata.pop(OUTPUT_KEY, None)
    return notebook


def _parameterize(notebook, parameters, kernel_name, parameterize_notebook):
    if not parameters:
        return notebook
    if not any("parameters" in c.metadata.get("tags", []) for c in notebook.cells):
        # papermill would put the values first; the notebook's own defaults would win then
        return notebook
    return parameterize_notebook(notebook, parameters, kernel_name=kernel_name)


def _stop_run(notebook: NotebookNode, ename: str, evalue: str) -> NotebookNode | None:
    """Mark the cell that was running as failed, and every cell not reached as not run.

    A grade cell with no output would otherwise count as passed.
    """
    unfinished = [c for c in notebook.cells
                  if c.cell_type == "code" and c.source.strip() and REPLY_KEY not in c.metadata]
    started = ("running", "completed", "failed")
    running = unfinished[0] if unfinished and \
        unfinished[0].metadata.get("papermill", {}).get("status") in started else None
    for cell in unfinished:
        if cell is running:
            cell.outputs.append(_error_output(ename, evalue))
        else:
            cell.outputs = [_error_output("NotRun", "this cell was not run because an earlier "
                                          "cell stopped the notebook")]
    return running


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


def _describe(cell: NotebookNode | None) -> str:
    if cell is None:
        return "a cell"
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {grade_id!r}" if grade_id else "a cell"


def _limit_outputs(notebook: NotebookNode, limit: int) -> list[int]:
    """Cut huge text outputs (a loop printing megabytes) so feedback stays readable."""
    truncated = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        size = max(sum(len(json.dumps(o)) for o in cell.outputs),
                   cell.metadata.pop(OUTPUT_KEY, 0))
        if size <= limit:
            continue
        truncated.append(index)
        kept, budget = [], limit
        for output in cell.outputs:
            if output.output_type == "stream":
                text = output.text[:max(budget, 0)]
                budget -= len(text)
                if output.name == "stderr" and not text:
                    text = output.text[:200]  # stderr in a grade cell costs its points: keep it
                if text:
                    kept.append(nbformat.v4.new_output("stream", name=output.name, text=text))
            elif output.output_type != "display_data" or len(json.dumps(output)) <= limit:
                kept.append(output)  # errors and results decide the grade: always kept
        kept.append(nbformat.v4.new_output(
            "stream", name="stdout", text=f"\n[... output cut: {size:,} characters in all ...]\n"))
        cell.outputs = kept
    return truncated
