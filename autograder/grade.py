"""Grading a cohort: ``grade_cohort`` is the Python API behind ``mle grade``.

The order is nbgrader's, and it is the security: every submission is read and sanitised
(grade cells restored from the gradebook) here, in the parent, *before* any of its code runs;
workers only execute; the parent alone writes the gradebook, ``grades.csv`` and feedback.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from tqdm import tqdm

from . import feedback, gradebook, labdata, report, tamper
from .course import Course, Lab
from .errors import NotebookError, UsageError
from .execute import REPLY_KEY, Job, JobResult
from .executors import Executor, ProcessPoolExecutor
from .notebooks import Exercise, exercises, nbgrader_meta, read_notebook
from .results import ExerciseResult, GradeResult, exercise_results, summary_message
from .sandbox import Limits, resolve_mode
from .settings import Settings

GRADES_CSV = "grades.csv"
# Put in front of every grade cell after sanitising: the check helpers come back fresh from
# their source file, so an answer that rebinds or monkeypatches them gains nothing.
CHECKS_GUARD = ("import importlib as _mle_importlib, autograder.checks as _mle_checks  "
                "# added by the grader\n_mle_checks = _mle_importlib.reload(_mle_checks)\n"
                "from autograder.checks import assert_close, assert_raises, assert_same, "
                "check_type\n_mle_checks.verify_environment()\n")
GRADEBOOK = "gradebook.db"
COHORT_CHART = "cohort.png"


@dataclass
class _Student:
    """One student's submission while it is being graded."""

    id: str
    directory: Path
    status: str = "graded"
    messages: list[str] = field(default_factory=list)
    exercises: list[ExerciseResult] = field(default_factory=list)
    waiting: int = 0
    flags: list[str] = field(default_factory=list)  # tampering found (see tamper.py)
    started: float = field(default_factory=time.monotonic)


def grade_cohort(*, lab: str, submissions: Path, out: Path, workers: int | None = None,
                 timeout: float | None = None, settings: Settings | None = None,
                 executor: Executor | None = None, progress: bool = True,
                 sandbox: str | None = None) -> list[GradeResult]:
    """Grade every ``submissions/<student_id>/`` of ``lab``; write results under ``out``.

    Writes ``out/grades.csv`` (merged with earlier runs), ``out/feedback/<student>/<nb>.html``
    and the nbgrader gradebook ``out/gradebook.db``. Every student directory gets exactly one
    result, whatever is wrong with it. Returns the results of this run. ``sandbox`` (default:
    the setting, ``auto``) says what runs around each kernel; see :mod:`autograder.sandbox`.
    """
    settings = settings or Settings()
    mode = resolve_mode(sandbox or settings.sandbox)
    course = Course(settings)
    the_lab = course.lab(lab)
    course.require_available(the_lab)
    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise UsageError(f"{submissions} is not a folder; it should hold one folder per student "
                         f"with {', '.join(the_lab.notebooks)} inside")
    out.mkdir(parents=True, exist_ok=True)
    book = out / GRADEBOOK
    _prepare_gradebook(the_lab, course, book)
    structure = {name: exercises(read_notebook(course.solution_dir(the_lab) / name))
                 for name in the_lab.notebooks}
    max_score = sum(e.points for nb in structure.values() for e in nb)
    students = [_Student(d.name, d) for d in sorted(submissions.iterdir())
                if d.is_dir() and not d.name.startswith(".")]
    grader = _Grader(the_lab, course, settings, out, book, structure, max_score)
    grader.sandbox = mode
    data_dir = Path(tempfile.mkdtemp(prefix="mle-data-"))
    try:
        if the_lab.data:
            labdata.prepare(the_lab.data, data_dir,
                            smoke=bool(the_lab.grade_parameters.get("smoke", False)))
        parallel = 1 if executor is not None else (workers or settings.workers)
        grader.kernel_threads = max(1, (os.cpu_count() or 1) // parallel)
        jobs = [job for s in students
                for job in grader.plan(s, data_dir if the_lab.data else None,
                                       timeout or settings.timeout)]
        running = executor or ProcessPoolExecutor(workers or settings.workers)
        by_id = {s.id: s for s in students}
        for s in students:
            if not s.waiting:
                grader.finish(s)
        bar = tqdm(total=len(jobs), desc=f"grading {the_lab.id}", unit="notebook",
                   disable=not progress or not jobs)
        for outcome in running.run(jobs):
            grader.record(by_id[outcome.student], outcome)
            bar.update(1)
        bar.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if grader.results:
        draw_cohort_chart(the_lab, out, [e for nb in structure.values() for e in nb])
    return grader.results


def draw_cohort_chart(lab: Lab, out: Path, structure: list[Exercise]) -> Path:
    """``out/cohort.png``: the score distribution and the mean score per exercise."""
    from .charts import cohort_chart

    rows = [r for r in report.read_rows(out / GRADES_CSV) if r["lab"] == lab.id]
    return cohort_chart(rows=rows, cell_scores=gradebook.cell_scores(lab_id=lab.id,
                                                                    gradebook=out / GRADEBOOK),
                        exercises=structure, title=f"Lab {lab.number}: {lab.title}",
                        path=out / COHORT_CHART)


def _prepare_gradebook(lab: Lab, course: Course, book: Path) -> None:
    """Record the lab's cells in the gradebook, unless it already holds this very source."""
    digest = hashlib.sha256()
    for name in lab.notebooks:
        digest.update((course.solution_dir(lab) / name).read_bytes())
    stamp = book.with_name(f".{book.name}.{lab.id}.sha256")
    if book.exists() and stamp.is_file() and stamp.read_text() == digest.hexdigest():
        return
    gradebook.generate(lab_id=lab.id, source_dir=course.solution_dir(lab), release_dir=None,
                       gradebook=book)
    stamp.write_text(digest.hexdigest())


class _Grader:
    """The parent's side of grading: plans jobs, records results; the only writer."""

    def __init__(self, lab: Lab, course: Course, settings: Settings, out: Path, book: Path,
                 structure: dict[str, list[Exercise]], max_score: float) -> None:
        self.lab, self.course, self.settings = lab, course, settings
        self.out, self.book, self.structure, self.max_score = out, book, structure, max_score
        self.results: list[GradeResult] = []
        self.kernel_threads = 1
        self.sandbox = "none"

    def plan(self, student: _Student, data_dir: Path | None, timeout: float) -> list[Job]:
        """Read and sanitise a student's notebooks; return the jobs to run."""
        jobs, present = [], []
        for name in self.lab.notebooks:
            path = student.directory / name
            if not path.exists():
                continue
            present.append(name)
            try:
                submitted = read_notebook(path)
                student.flags += tamper.notebook_findings(submitted, self._release(name))
                notebook = gradebook.sanitize(tamper.drop_duplicate_ids(submitted),
                                              lab_id=self.lab.id,
                                              notebook_name=name, student=student.id,
                                              gradebook=self.book)
            except NotebookError as error:
                student.status = "invalid"
                student.messages.append(str(error).replace(str(student.directory) + "/", ""))
                continue
            _guard_checks(notebook)
            limits = Limits(tmp_mb=self.lab.limits.tmp_mb, threads=self.kernel_threads,
                            memory_mb=self.lab.limits.memory_mb,
                            max_pids=self.lab.limits.max_pids)
            # only the sanitised notebook travels: nothing else in the folder reaches the kernel
            jobs.append(Job(student.id, name, nbformat.writes(notebook), None, data_dir,
                            dict(self.lab.grade_parameters), timeout,
                            startup_timeout=self.settings.startup_timeout,
                            kernel_name=self.settings.kernel_name,
                            max_output_chars=self.settings.max_output_chars,
                            sandbox=self.sandbox, limits=limits))
        if not present:
            student.status = "missing"
            others = sorted(p.name for p in student.directory.glob("*.ipynb"))
            found = f" (found {', '.join(others)}: rename it?)" if others else ""
            student.messages.append(f"no {', '.join(self.lab.notebooks)} in the submission{found}")
            return []
        if student.status == "invalid":
            return []  # never run part of a submission whose other notebook is broken
        student.flags += tamper.folder_findings(student.directory, self.lab.notebooks)
        gradebook.register_submission(lab_id=self.lab.id, student=student.id, gradebook=self.book)
        student.waiting = len(jobs)
        return jobs

    def _release(self, name: str) -> NotebookNode | None:
        """The learner's copy of notebook ``name`` (to tell edited locked cells), if any."""
        path = self.course.release_dir(self.lab) / name
        return read_notebook(path) if path.is_file() else None

    def record(self, student: _Student, outcome: JobResult) -> None:
        """Save one executed notebook's grades; finish the student when all are in."""
        student.flags += outcome.flags
        if outcome.notebook_json is None:
            student.status = "error"
            student.messages.append(outcome.message)
        else:
            notebook = nbformat.reads(outcome.notebook_json, as_version=4)
            _fail_silenced_errors(notebook)
            student.flags += tamper.run_findings(notebook)
            grades = gradebook.save_grades(notebook, lab_id=self.lab.id,
                                           notebook_name=outcome.notebook_name,
                                           student=student.id, gradebook=self.book)
            student.exercises += exercise_results(notebook, self.structure[outcome.notebook_name],
                                                  grades)
            if outcome.status != "ok":
                student.status = outcome.status
                student.messages.append(outcome.message)
            if outcome.leftovers:
                student.messages.append(f"the grader stopped {outcome.leftovers} process(es) "
                                        "the notebook left running (stop your servers and "
                                        "subprocesses in the notebook)")
            if outcome.truncated_cells:
                student.messages.append(f"the output of {len(outcome.truncated_cells)} cell(s) "
                                        "was cut because it was too long")
        student.waiting -= 1
        if student.waiting <= 0:
            self.finish(student)

    def finish(self, student: _Student) -> GradeResult:
        score = sum(e.points for e in student.exercises)
        if student.flags and student.status not in ("invalid", "missing"):
            student.status = tamper.worst(student.status, "flagged")
        if student.status in ("graded", "flagged"):
            student.messages.insert(0, summary_message(student.exercises))
        elif student.status in ("invalid", "missing"):
            score = 0.0
        if student.status == "flagged":
            student.messages.insert(0, "flagged: " + "; ".join(dict.fromkeys(student.flags)))
        result = GradeResult(student.id, self.lab.id, score, self.max_score, student.status,
                             "; ".join(student.messages), student.exercises,
                             seconds=time.monotonic() - student.started)
        for name in self.lab.notebooks:
            html = feedback.render(result, lab_title=f"Lab {self.lab.number}: {self.lab.title}",
                                   hint_command=f"mle hint {self.lab.number}")
            path = self.out / "feedback" / student.id / f"{Path(name).stem}.html"
            result.feedback.append(str(feedback.write(path, html)))
        report.merge_rows(self.out / GRADES_CSV, [result.row()])
        self.results.append(result)
        return result


def _guard_checks(notebook: NotebookNode) -> None:
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("grade") and cell.cell_type == "code":
            cell.source = CHECKS_GUARD + cell.source


def _fail_silenced_errors(notebook: NotebookNode) -> None:
    """A grade cell whose kernel reply was an error fails, even if its error output was
    hidden (``set_custom_exc``, a patched ``showtraceback``): nbgrader looks only at outputs."""
    for cell in notebook.cells:
        reply = cell.get("metadata", {}).get(REPLY_KEY, {})
        if not nbgrader_meta(cell).get("grade") or reply.get("status") != "error":
            continue
        if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=reply.get("ename") or "Error",
                evalue=reply.get("evalue") or "the test failed (its error output was hidden)",
                traceback=[]))


def results_by_status(results: list[GradeResult]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for result in results:
        counts[result.status] += 1
    return dict(counts)
