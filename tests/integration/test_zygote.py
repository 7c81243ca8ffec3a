"""Kernels forked from a worker's zygote (autograder/zygote.py): what they inherit, and what not.

Each test runs real jobs through ``run_job(reuse_kernels=True)``, as a grading worker does,
with and without the sandbox. The no-leak test (test_no_leaks.py) grades a polluter and then a
victim through the same path; these check the zygote's own promises.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from autograder import zygote
from autograder.jobs import Job, run_job
from autograder.sandbox import Limits, find_bwrap

SANDBOXES = ["none", pytest.param("bwrap", marks=pytest.mark.skipif(
    find_bwrap() is None and not os.environ.get("CI"), reason="bubblewrap cannot run here"))]
PROBE = """
import json, os, sys
preloaded = "numpy" in sys.modules
import numpy, random
print(json.dumps({"numpy_preloaded": preloaded, "pid": os.getpid(),
                  "draws": [numpy.random.random(), random.random()],
                  "cwd": os.getcwd(), "home": os.environ["HOME"],
                  "first_path": sys.path[0], "threads": os.environ.get("OMP_NUM_THREADS")}))
"""


def probe_job(sandbox: str, code: str = PROBE, timeout: float = 20) -> Job:
    cells = [nbformat.v4.new_code_cell(code)]
    notebook = nbformat.v4.new_notebook(cells=cells)
    return Job("learner", "probe.ipynb", nbformat.writes(notebook), sandbox=sandbox,
               preload=("numpy", "numpy.random"), limits=Limits(memory_mb=1024, max_pids=64), timeout=timeout)


def output(result) -> dict:
    cell = nbformat.reads(result.notebook_json, as_version=4).cells[0]
    assert cell.outputs and cell.outputs[0].output_type == "stream", cell.outputs
    return json.loads(cell.outputs[0].text)


@pytest.fixture(autouse=True)
def fresh_zygote():
    zygote.discard()
    yield
    zygote.discard()


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_forked_kernel_starts_with_the_preloaded_modules_in_its_own_folder(sandbox):
    first, second = (run_job(probe_job(sandbox), reuse_kernels=True) for _ in range(2))
    assert first.status == second.status == "ok", (first.message, second.message)
    assert first.forked and second.forked
    a, b = output(first), output(second)
    assert a["numpy_preloaded"] and b["numpy_preloaded"]  # imported once, by the zygote
    assert a["cwd"] != b["cwd"] and a["home"] != b["home"]  # each job its own folder and HOME
    assert a["first_path"] == a["cwd"]  # a learner's own modules import, as in a fresh kernel
    assert a["threads"] == "1"
    # the zygote's generators are not handed on: each kernel draws its own numbers
    assert a["draws"][0] != b["draws"][0] and a["draws"][1] != b["draws"][1]
    if sandbox == "bwrap":  # its own PID namespace: it cannot name the zygote
        assert a["pid"] == b["pid"] == 1


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_without_the_zygote_the_same_job_gets_a_fresh_kernel(sandbox, monkeypatch):
    monkeypatch.setenv(zygote.SWITCH, "0")
    result = run_job(probe_job(sandbox), reuse_kernels=True)
    assert result.status == "ok", result.message
    assert not result.forked
    assert not output(result)["numpy_preloaded"]


def test_a_job_that_kills_its_kernel_or_loops_gets_its_status_and_the_next_one_is_fine():
    died = run_job(probe_job("none", "import os\nos._exit(3)"), reuse_kernels=True)
    assert died.forked and died.status == "error" and "kernel died" in died.message
    looped = run_job(probe_job("none", "while True:\n    pass", timeout=3), reuse_kernels=True)
    assert looped.forked and looped.status == "timeout", looped.message
    fine = run_job(probe_job("none"), reuse_kernels=True)
    assert fine.forked and fine.status == "ok" and output(fine)["numpy_preloaded"]


def test_a_zygote_that_has_gone_is_replaced():
    assert run_job(probe_job("none"), reuse_kernels=True).forked
    zygote.current().process.kill()
    zygote.current().process.wait()
    again = run_job(probe_job("none"), reuse_kernels=True)
    assert again.forked and again.status == "ok"


def test_a_pool_worker_stops_its_zygote_and_removes_its_folder_when_it_exits():
    """A worker killed outright cannot clean up: the next zygote removes what it left."""
    import tempfile
    from pathlib import Path

    from autograder.executors import ProcessPoolExecutor

    def folders() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob(f"{zygote.ROOT_PREFIX}*"))

    before = folders()
    [result] = ProcessPoolExecutor(1).run([probe_job("none")])
    assert result.forked and result.status == "ok", result.message
    assert folders() <= before  # the worker's zygote folder went with it


def test_the_folder_of_a_killed_workers_zygote_is_removed_by_the_next_one():
    import tempfile
    from pathlib import Path

    gone = _dead_pid()
    stale = Path(tempfile.gettempdir()) / f"{zygote.ROOT_PREFIX}{gone}-abc"
    (stale / "jobs").mkdir(parents=True)
    assert run_job(probe_job("none"), reuse_kernels=True).forked
    assert not stale.exists()


def _dead_pid() -> int:
    import subprocess

    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_preload_that_starts_a_thread_is_not_forked_from(monkeypatch):
    """Forking a process that runs threads can deadlock its children: such a zygote is refused
    and the jobs get fresh kernels, with the same results."""
    copy_runtime = zygote.copy_runtime

    def runtime_with_a_threaded_module(target):  # importable by the zygote, as the runtime is
        copy_runtime(target)
        (target.parent / "starts_a_thread.py").write_text(
            "import threading, time\n"
            "threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n")

    monkeypatch.setattr(zygote, "copy_runtime", runtime_with_a_threaded_module)
    job = probe_job("none")
    job.preload = ("numpy", "starts_a_thread")
    result = run_job(job, reuse_kernels=True)
    assert result.status == "ok" and not result.forked, result.message
    assert run_job(job, reuse_kernels=True).forked is False  # not tried again for every job
