"""Benchmark: `mle grade` against `nbgrader autograde` and a bare execution, same run.

Builds N submissions of a lab (default: Lab 1, N=20; a mix of correct, partly wrong and blank
notebooks) and, one after the other in this session, times as the commands a user types:

* `mle grade` (sandboxed), `mle grade --sandbox none`, and `mle grade` with a fresh kernel per
  submission (``MLE_ZYGOTE=0``: no pre-imported kernels);
* `nbgrader autograde` on copies of the same submissions in a standard nbgrader course;
* a *bare* execution of the same notebooks: nbclient, a fresh kernel per notebook, every cell
  run, errors allowed, one process per core, no grading at all (the floor);
* `mle check` of one solved notebook, and a bare in-process run of that notebook.

It prints P1 = mle grade / nbgrader autograde, P2 = mle grade / bare, P3 = mle check / bare
run, the sandbox's overhead, per-notebook medians and the peak memory of each command's process
tree. Machines here are noisy: compare ratios from one run, not absolute seconds.

    .venv/bin/python benchmarks/grade_cohort.py [--n 20] [--lab 1] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.startup import skip_slow_optional_imports  # noqa: E402

skip_slow_optional_imports()  # as in mle's own processes, the bare ones included (startup.py)

import nbformat  # noqa: E402

from autograder import labdata  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.notebooks import fill_answers, nbgrader_meta, read_notebook  # noqa: E402
from autograder.settings import Settings  # noqa: E402

BIN = Path(sys.executable).parent


def build_cohort(lab, course: Course, n: int, folder: Path) -> None:
    """n students: 50% correct, 30% with the second half blank, 20% blank."""
    for name in lab.notebooks:
        release = read_notebook(course.release_dir(lab) / name)
        source = read_notebook(course.solution_dir(lab) / name)
        stubs = {nbgrader_meta(c)["grade_id"]: c.source for c in release.cells
                 if nbgrader_meta(c).get("solution")}
        half = dict(list(stubs.items())[len(stubs) // 2:])
        for i in range(n):
            kind = i % 10
            notebook = (fill_answers(release, source) if kind < 5 else
                        fill_answers(release, source, half) if kind < 8 else release)
            target = folder / f"student{i:03d}" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)


def run(command: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Run a command; return its wall time and the peak RSS (MB) of its process tree."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                total = 0
                for member in tree:
                    try:
                        total += member.memory_info().rss
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], total / 2**20)
            except psutil.Error:
                pass
            done.wait(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    watcher.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return elapsed, peak[0]


def _execute_bare(path: str) -> float:
    """One notebook, nbclient in this process, a fresh kernel, every cell; its seconds."""
    from nbclient import NotebookClient

    started = time.perf_counter()
    notebook = nbformat.read(path, as_version=4)
    folder = tempfile.mkdtemp(prefix="bare-")
    try:
        NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": folder}}).execute()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return time.perf_counter() - started


def bare_main(paths: list[str], workers: int) -> None:
    """``--bare``: execute notebooks with no grading, one process per core; print seconds."""
    import multiprocessing

    if workers <= 1 or len(paths) == 1:
        seconds = [_execute_bare(p) for p in paths]
    else:
        with multiprocessing.get_context("spawn").Pool(
                workers, initializer=skip_slow_optional_imports) as pool:
            seconds = pool.map(_execute_bare, paths, chunksize=1)
    print(json.dumps(seconds))


def nbgrader_course(lab, course: Course, cohort: Path, root: Path, data_dir: Path) -> None:
    """A plain nbgrader course: source/, submitted/<student>/<lab>/, nbgrader_config.py.

    nbgrader cannot inject papermill parameters, so each copy gets the same values that
    `mle grade` injects (smoke mode, the prepared data) written into its parameters cell.
    """
    shutil.copytree(course.solution_dir(lab), root / "source" / lab.id)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.CourseDirectory.course_id = 'bench'\n"
        "c.Execute.timeout = 60\n")
    values = dict(lab.grade_parameters, **({"data_dir": str(data_dir)} if lab.data else {}))
    for student_dir in sorted(cohort.iterdir()):
        for name in lab.notebooks:
            notebook = nbformat.read(student_dir / name, as_version=4)
            for cell in notebook.cells:
                if "parameters" in cell.metadata.get("tags", []):
                    for key, value in values.items():
                        cell.source = re.sub(rf"^{key}\s*=.*$", f"{key} = {value!r}",
                                             cell.source, flags=re.MULTILINE)
            target = root / "submitted" / student_dir.name / lab.id / name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)


def with_parameters(paths: list[Path], folder: Path, lab, data_dir: Path) -> list[str]:
    """Copies of executed notebooks whose injected parameters point at this run's data."""
    values = dict(lab.grade_parameters, **({"data_dir": str(data_dir)} if lab.data else {}))
    copies = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", [])):
                for key, value in values.items():
                    cell.source = re.sub(rf"^{key}\s*=.*$", f"{key} = {value!r}", cell.source,
                                         flags=re.MULTILINE)
        target = folder / path.parent.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        copies.append(str(target))
    return copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="students in the cohort")
    parser.add_argument("--lab", default="1")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--bare", nargs="+", help=argparse.SUPPRESS)  # the bare execution
    args = parser.parse_args()
    if args.bare:
        return bare_main(args.bare, args.workers)

    course = Course(Settings(root=REPO))
    lab = course.lab(args.lab)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
               MLFLOW_DISABLE_TELEMETRY="true", PYTHONWARNINGS="ignore")
    times: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="mle-bench-") as scratch:
        work = Path(scratch)
        env.update(HOME=str(work / "home"), MLE_STATE_DIR=str(work / "state"),
                   MPLCONFIGDIR=str(work / "mpl"), IPYTHONDIR=str(work / "ipython"))
        cohort = work / "cohort"
        build_cohort(lab, course, args.n, cohort)
        data_dir = work / "data"
        if lab.data:
            labdata.prepare(lab.data, data_dir, smoke=bool(lab.grade_parameters.get("smoke")))
        nb_root = work / "nbgrader-course"
        nbgrader_course(lab, course, cohort, nb_root, data_dir)
        submitted = sorted(str(p) for p in (nb_root / "submitted").glob(f"*/{lab.id}/*.ipynb"))
        mle = [str(BIN / "mle"), "grade", lab.id, str(cohort), "--workers", str(args.workers)]

        times["mle"] = run([*mle, "--out", str(work / "mle-out")], REPO, env)
        times["mle-none"] = run([*mle, "--out", str(work / "mle-none"), "--sandbox", "none"],
                                REPO, env)
        # the same grading with a fresh kernel per submission (no zygote): what forking saves
        times["mle-fresh"] = run([*mle, "--out", str(work / "mle-fresh")], REPO,
                                 dict(env, MLE_ZYGOTE="0"))
        bare = [sys.executable, __file__, "--workers", str(args.workers), "--bare"]
        times["bare"] = run([*bare, *submitted], REPO, env)
        # the same, on the notebooks as graded: hidden tests included (the tests' own compute)
        graded_copies = with_parameters(sorted((work / "mle-out" / "autograded").glob(
            f"*/{lab.id}/*.ipynb")), work / "bare-graded", lab, data_dir)
        times["bare-graded"] = run([*bare, *graded_copies], REPO, env)
        run([str(BIN / "nbgrader"), "generate_assignment", lab.id, "--force"], nb_root, env)
        times["nbgrader"] = run([str(BIN / "nbgrader"), "autograde", lab.id, "--create"],
                                nb_root, env)
        one = sorted((nb_root / "submitted").glob(f"student000/{lab.id}/*.ipynb"))[0]
        if len(lab.notebooks) == 1:  # a learner's check of one solved notebook
            check = [str(BIN / "mle"), "check", lab.id, "--notebook", str(one)]
            times["first check"] = run(check, REPO, env)  # generates the assignment once
            checks, bares = [], []
            for _ in range(3):  # one notebook is seconds: take medians of interleaved runs
                checks.append(run(check, REPO, env))
                bares.append(run([*bare[:-3], "--workers", "1", "--bare", str(one)], REPO, env))
            times["check"] = sorted(checks)[1]
            times["bare-one"] = sorted(bares)[1]

        with open(work / "mle-out" / "grades.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        graded = sum(r["status"] == "graded" for r in rows)
        per_student = [json.loads(p.read_text())["seconds"]
                       for p in (work / "mle-out" / "results" / lab.id).glob("*.json")]

    notebooks = args.n * len(lab.notebooks)
    print(f"\nGrading {args.n} submissions of {lab.id} on {os.cpu_count()} cores "
          f"({args.workers} workers)\n")
    print(f"{'command':<38}{'wall s':>9}{'s / notebook':>14}{'peak MB':>9}")
    labels = {"nbgrader": "nbgrader autograde", "mle": "mle grade (sandboxed)",
              "mle-none": "mle grade --sandbox none",
              "mle-fresh": "mle grade, fresh kernels (no zygote)",
              "bare": "bare execution (floor)",
              "bare-graded": "bare, hidden tests included"}
    for key, label in labels.items():
        wall, peak = times[key]
        print(f"{label:<38}{wall:>9.1f}{wall / notebooks:>14.2f}{peak:>9.0f}")
    nb, mle_t, bare_t = times["nbgrader"][0], times["mle"][0], times["bare"][0]
    print(f"\nP1  mle grade / nbgrader autograde      = {mle_t / nb:.2f}  "
          f"(compute floor: bare / nbgrader = {bare_t / nb:.2f})")
    print(f"P2  mle grade / bare execution         = {mle_t / bare_t:.2f}  "
          f"(bare with the hidden tests: {mle_t / times['bare-graded'][0]:.2f})")
    if "check" in times:
        print(f"P3  mle check / bare in-process run    = "
              f"{times['check'][0] / times['bare-one'][0]:.2f}  "
              f"(medians of 3: {times['check'][0]:.1f} s vs {times['bare-one'][0]:.1f} s; "
              "a first check, "
              f"which generates the assignment: {times['first check'][0]:.1f} s)")
    print(f"sandbox overhead: sandboxed / unsandboxed = {mle_t / times['mle-none'][0]:.2f}")
    print(f"pre-imported kernels: forked / fresh = {mle_t / times['mle-fresh'][0]:.2f}")
    if per_student:
        print(f"mle grade, median seconds per submission (in its worker): "
              f"{statistics.median(per_student):.2f}")
    print(f"{graded}/{len(rows)} submissions graded.")


if __name__ == "__main__":
    main()
