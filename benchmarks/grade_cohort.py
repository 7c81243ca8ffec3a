"""Benchmark: `mle grade` against plain `nbgrader autograde` on the same cohort, same run.

Builds N submissions of a lab (default: Lab 1, N=20; a mix of correct, partly wrong and blank
notebooks), grades them with `mle grade` and, on copies of the same submissions, with
`nbgrader autograde` in a standard nbgrader course folder. Both run as the commands a user
types, one after the other in this process's session, and the script prints both wall times and
their ratio. Machines here are noisy: compare ratios, not absolute seconds.

    .venv/bin/python benchmarks/grade_cohort.py [--n 20] [--lab 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

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


def run(command: list[str], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="students in the cohort")
    parser.add_argument("--lab", default="1")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    course = Course(Settings(root=REPO))
    lab = course.lab(args.lab)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
               MLFLOW_DISABLE_TELEMETRY="true", PYTHONWARNINGS="ignore")
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

        mle_time = run([str(BIN / "mle"), "grade", lab.id, str(cohort), "--out",
                        str(work / "mle-out"), "--workers", str(args.workers)], REPO, env)
        bare_time = run([str(BIN / "mle"), "grade", lab.id, str(cohort), "--out",
                         str(work / "mle-none"), "--workers", str(args.workers),
                         "--sandbox", "none"], REPO, env)
        run([str(BIN / "nbgrader"), "generate_assignment", lab.id, "--force"], nb_root, env)
        nb_time = run([str(BIN / "nbgrader"), "autograde", lab.id, "--create"], nb_root, env)

        with open(work / "mle-out" / "grades.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        graded = sum(r["status"] == "graded" for r in rows)

    print(f"\nGrading {args.n} submissions of {lab.id} on {os.cpu_count()} cores "
          f"(mle: {args.workers} workers)\n")
    print(f"{'grader':<28}{'wall s':>10}{'s / notebook':>15}{'ratio':>9}")
    print(f"{'nbgrader autograde':<28}{nb_time:>10.1f}{nb_time / args.n:>15.2f}{1.0:>9.2f}")
    print(f"{'mle grade (sandboxed)':<28}{mle_time:>10.1f}{mle_time / args.n:>15.2f}"
          f"{mle_time / nb_time:>9.2f}")
    print(f"{'mle grade --sandbox none':<28}{bare_time:>10.1f}{bare_time / args.n:>15.2f}"
          f"{bare_time / nb_time:>9.2f}")
    print(f"\nsandbox overhead: sandboxed / unsandboxed = {mle_time / bare_time:.2f}")
    print(f"mle grade is {nb_time / mle_time:.2f}x the speed of nbgrader autograde; "
          f"{graded}/{len(rows)} submissions graded.")


if __name__ == "__main__":
    main()
