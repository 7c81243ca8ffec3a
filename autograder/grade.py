"""Grading a cohort: ``grade_cohort`` is the Python API behind ``mle grade``.

The pipeline, in the order that is the security. Each step is a small function below:

1. **find**      the submissions, in either layout (``SUBMISSIONS/<student>/*.ipynb`` or
                 nbgrader's ``submitted/<student>/<assignment>/``); symbolic links refused;
2. **read**      each notebook, in the parent, with clear errors; nothing of it has run yet;
3. **sanitise**  nbgrader restores every locked and test cell from the gradebook (edits and
                 duplicate grade ids are noted as tampering);
4. **guard**     the check helpers are reloaded in front of every test cell;
5. **plan**      one ``Job`` per notebook: only the sanitised notebook and the *source's* own
                 files travel, as bytes, never anything else from the submission's folder;
6. **execute**   the executor runs each job in a fresh, sandboxed kernel (``jobs.run_job``);
7. **collect**   a test whose error was hidden fails; signs of tampering become flags;
8. **record**    the parent alone writes the gradebook, ``autograded/``, feedback and
                 ``grades.csv``: however many workers run, there is a single writer.

``OUT`` holds the cohort's ``report.html`` (``instructor_report.py``), and is an nbgrader course
folder (``nbgrader_config.py``, ``gradebook.db``, ``source/``, ``release/``, ``submitted/``,
``autograded/``), so ``nbgrader formgrader`` run there grades the manually graded answers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from tqdm import tqdm

from . import feedback, gradebook, instructor_report, report, tamper
from .assignment import Assignment
from .course import Course
from .errors import NotebookError, UsageError
from .executors import Executor, ProcessPoolExecutor
from .jobs import REPLY_KEY, Job, JobResult, machine_data
from .notebooks import Exercise, exercises, nbgrader_meta, read_notebook
from .results import ExerciseResult, GradeResult, exercise_results, summary_message
from .sandbox import Limits, resolve_mode
from .settings import Settings

GRADES_CSV = "grades.csv"
GRADEBOOK = "gradebook.db"
COHORT_CHART = "cohort.png"
TIMESTAMP = "timestamp.txt"  # nbgrader's record of when a submission was collected
# Put in front of every test cell after sanitising: the check helpers come back fresh from
# their source file, so an answer that rebinds or monkeypatches them gains nothing.
CHECKS_GUARD = ("import importlib as _mle_importlib, autograder.checks as _mle_checks  "
                "# added by the grader\n_mle_checks = _mle_importlib.reload(_mle_checks)\n"
                "from autograder.checks import assert_close, assert_raises, assert_same, "
                "check_type, run_pytest\n_mle_checks.verify_environment()\n")


@dataclass
class Submission:
    """One student's submission while it is being graded."""

    id: str
    folder: Path  # where its notebooks are
    timestamp: str | None = None
    status: str = "graded"
    messages: list[str] = field(default_factory=list)
    exercises: list[ExerciseResult] = field(default_factory=list)
    by_notebook: dict[str, list[ExerciseResult]] = field(default_factory=dict)
    waiting: int = 0
    flags: list[str] = field(default_factory=list)  # tampering found (see tamper.py)
    seconds: float = 0.0  # its notebooks' time in their workers


def grade_cohort(*, lab: str | None = None, source: Path | None = None, submissions: Path,
                 out: Path, workers: int | None = None, timeout: float | None = None,
                 settings: Settings | None = None, executor: Executor | None = None,
                 progress: bool = True, sandbox: str | None = None,
                 on_start: Callable[[Assignment], None] | None = None,
                 summaries: bool = True) -> list[GradeResult]:
    """Grade every student folder in ``submissions`` for ``lab`` (a lab of this course) or
    ``source`` (any nbgrader source assignment folder); write results under ``out``.

    Writes ``out/grades.csv`` (merged with earlier runs), ``out/feedback/<student>/<nb>.html``,
    an nbgrader course (gradebook, autograded notebooks) and, with ``summaries``, the cohort's
    ``cohort.png`` and ``report.html``. Every student folder gets exactly one result, whatever
    is wrong with it. Returns the results of this run. ``sandbox`` (default: the setting,
    ``auto``) says what runs around each kernel (see ``sandbox.py``); ``on_start`` is called
    with the assignment once the inputs are known to be usable, before anything runs.
    """
    settings = settings or Settings()
    if (lab is None) == (source is None):
        raise UsageError("grade either a lab of this course or an assignment (--source), "
                         "not both: `mle grade 1 SUBMISSIONS --out OUT` or `mle grade --source "
                         "DIR SUBMISSIONS --out OUT`")
    assignment = Assignment.from_lab(Course(settings).lab(lab), Course(settings)) \
        if lab is not None else Assignment.from_source(Path(source))
    return grade_assignment(assignment, submissions=submissions, out=out, workers=workers,
                            timeout=timeout, settings=settings, executor=executor,
                            progress=progress, sandbox=sandbox, on_start=on_start,
                            summaries=summaries)


def grade_assignment(assignment: Assignment, *, submissions: Path, out: Path,
                     workers: int | None = None, timeout: float | None = None,
                     settings: Settings | None = None, executor: Executor | None = None,
                     progress: bool = True, sandbox: str | None = None,
                     on_start: Callable[[Assignment], None] | None = None,
                     summaries: bool = True) -> list[GradeResult]:
    settings = settings or Settings()
    mode = resolve_mode(sandbox or settings.sandbox)
    cohort = find_submissions(Path(submissions), assignment)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    grader = _Grader(assignment, settings, out, sandbox=mode)
    if on_start is not None:
        on_start(assignment)
    parallel = getattr(executor, "parallel", 1) if executor is not None else \
        (workers or settings.workers)
    grader.kernel_threads = max(1, (os.cpu_count() or 1) // parallel)
    # the lab's data, built once per machine; shared read-only by every job (see jobs.py)
    data_dir = machine_data(assignment.data, smoke=bool(
        assignment.grade_parameters.get("smoke", False))) if assignment.data else None
    by_id = {s.id: s for s in cohort}
    bar = tqdm(total=len(cohort) * len(assignment.notebooks), desc=f"grading {assignment.id}",
               unit="notebook", disable=not progress or not cohort)

    def planned() -> Iterable[Job]:  # read, sanitise, guard and plan as the workers start
        for submission in cohort:
            jobs = grader.plan(submission, data_dir, timeout or settings.timeout)
            bar.update(len(assignment.notebooks) - len(jobs))
            if not submission.waiting:
                grader.finish(submission)
            yield from jobs

    running = executor or ProcessPoolExecutor(workers or settings.workers)
    if hasattr(running, "prepare"):
        running.prepare(grader.template_job(data_dir, timeout or settings.timeout))
    for outcome in running.run(planned()):
        grader.record(by_id[outcome.student], outcome)
        bar.update(1)
    bar.close()
    if grader.results and summaries:
        draw_cohort_chart(assignment, out, grader.exercise_list())
        instructor_report.write_report(out, assignment_id=assignment.id, title=assignment.title)
    return grader.results


# 1. find ------------------------------------------------------------------------------------

def find_submissions(folder: Path, assignment: Assignment) -> list[Submission]:
    """One ``Submission`` per student folder, in either layout; an nbgrader course folder
    (with ``submitted/`` in it) works too."""
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; it should hold one folder per student "
                         f"with {', '.join(assignment.notebooks)} inside (or nbgrader's "
                         f"submitted/<student>/{assignment.id}/), e.g. `mle grade 1 "
                         "submissions/ --out grading/`")
    if (folder / "submitted").is_dir() and ((folder / "nbgrader_config.py").is_file()
                                            or (folder / "source").is_dir()):
        folder = folder / "submitted"
    found = []
    for student in sorted(folder.iterdir()):
        if not student.is_dir() or student.name.startswith("."):
            continue
        inner = student / assignment.id
        where = inner if inner.is_dir() else student
        submission = Submission(student.name, where)
        if student.is_symlink() or inner.is_symlink():
            # a link could point at any folder the grader can read, the source included
            submission.status = "invalid"
            submission.messages.append("the submission is a symbolic link, not a folder: "
                                       "collect the files themselves")
        elif (where / TIMESTAMP).is_file() and not (where / TIMESTAMP).is_symlink():
            submission.timestamp = _timestamp((where / TIMESTAMP).read_text(errors="replace"))
        found.append(submission)
    return found


def _timestamp(text: str) -> str | None:
    """nbgrader's ``timestamp.txt`` value, if it is one (it is compared as a date)."""
    from nbgrader.utils import parse_utc

    try:
        parse_utc(text.strip()[:64])
    except (ValueError, OverflowError, TypeError):
        return None
    return text.strip()[:64]


# 2. read ------------------------------------------------------------------------------------

def read_submitted(path: Path) -> NotebookNode:
    """A submitted notebook, or ``NotebookError``; a link is refused (it could point at any
    file the grader can read, such as the source notebooks)."""
    if path.is_symlink():
        raise NotebookError(f"{path.name} is a symbolic link, not a notebook: submit the "
                            "notebook file itself")
    return read_notebook(path)


# 3. sanitise --------------------------------------------------------------------------------

def sanitise(submitted: NotebookNode, *, release: NotebookNode | None, assignment_id: str,
             name: str, student: str, book: Path) -> tuple[NotebookNode, list[str]]:
    """nbgrader's autograde sanitising, and what it had to undo (as tampering findings)."""
    findings = tamper.notebook_findings(submitted, release)
    notebook = gradebook.sanitize(tamper.drop_duplicate_ids(submitted),
                                  assignment_id=assignment_id, notebook_name=name,
                                  student=student, gradebook=book)
    return notebook, findings


# 4. guard -----------------------------------------------------------------------------------

def _is_test(cell: NotebookNode) -> bool:
    """An auto-graded test cell (a manually graded answer is the learner's own code)."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def guard(notebook: NotebookNode) -> NotebookNode:
    for cell in notebook.cells:
        if _is_test(cell):
            cell.source = CHECKS_GUARD + cell.source
    return notebook


def unguard(notebook: NotebookNode) -> NotebookNode:
    """The executed notebook as the instructor wrote it, for ``autograded/`` and formgrader."""
    for cell in notebook.cells:
        if _is_test(cell) and cell.source.startswith(CHECKS_GUARD):
            cell.source = cell.source[len(CHECKS_GUARD):]
    return notebook


# 7. collect ---------------------------------------------------------------------------------

def collect(outcome: JobResult) -> tuple[NotebookNode, list[str]]:
    """The executed notebook, with hidden errors made visible, and run-time tampering."""
    notebook = nbformat.reads(outcome.notebook_json, as_version=4)
    _fail_silenced_errors(notebook)
    return notebook, outcome.flags + tamper.run_findings(notebook)


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


class _Grader:
    """The parent's side of grading: plans jobs, records results; the only writer."""

    def __init__(self, assignment: Assignment, settings: Settings, out: Path, *,
                 sandbox: str) -> None:
        self.assignment, self.settings, self.out, self.sandbox = assignment, settings, out, sandbox
        self.book = out / GRADEBOOK
        self.release_dir = _prepare_course(assignment, out, self.book,
                                           settings.state_path / "cache" / "generated")
        self.structure = {name: exercises(read_notebook(assignment.source_dir / name))
                          for name in assignment.notebooks}
        self.max_score = sum(e.points for e in self.exercise_list())
        self.files = assignment.file_bytes()  # shared by every job, never re-read
        self.results: list[GradeResult] = []
        self.kernel_threads = 1

    def exercise_list(self) -> list[Exercise]:
        return [e for notebook in self.structure.values() for e in notebook]

    # 2-5: read, sanitise, guard, plan
    def plan(self, student: Submission, data_dir: Path | None, timeout: float) -> list[Job]:
        """Read and sanitise a student's notebooks; return the jobs to run."""
        if student.status == "invalid":
            return []
        jobs, present = [], []
        for name in self.assignment.notebooks:
            path = student.folder / name
            if not path.exists() and not path.is_symlink():
                continue
            present.append(name)
            try:
                notebook, findings = sanitise(
                    read_submitted(path), release=self._release(name),
                    assignment_id=self.assignment.id, name=name, student=student.id,
                    book=self.book)
            except NotebookError as error:
                student.status = "invalid"
                student.messages.append(str(error).replace(str(student.folder) + "/", ""))
                continue
            student.flags += findings
            jobs.append(self._job(student, name, guard(notebook), data_dir, timeout))
        if not present:
            student.status = "missing"
            others = sorted(p.name for p in student.folder.glob("*.ipynb"))
            found = f" (found {', '.join(others)}: rename it?)" if others else ""
            student.messages.append(f"no {', '.join(self.assignment.notebooks)} in the "
                                    f"submission{found}")
            return []
        if student.status == "invalid":
            return []  # never run part of a submission whose other notebook is broken
        student.flags += tamper.folder_findings(student.folder, list(self.assignment.notebooks))
        gradebook.register_submission(assignment_id=self.assignment.id, student=student.id,
                                      gradebook=self.book, timestamp=student.timestamp)
        self._keep_submitted(student)
        student.waiting = len(jobs)
        return jobs

    def _job(self, student: Submission, name: str, notebook: NotebookNode,
             data_dir: Path | None, timeout: float) -> Job:
        limits = self.assignment.limits
        return Job(student.id, name, nbformat.writes(notebook), files=self.files,
                   data_dir=data_dir, data=self.assignment.data,
                   smoke=bool(self.assignment.grade_parameters.get("smoke", False)),
                   parameters=dict(self.assignment.grade_parameters),
                   timeout=timeout, wall_timeout=float(limits.wall_s),
                   startup_timeout=self.settings.startup_timeout,
                   kernel_name=self.settings.kernel_name,
                   max_output_chars=self.settings.max_output_chars, sandbox=self.sandbox,
                   limits=Limits(tmp_mb=limits.tmp_mb, threads=self.kernel_threads,
                                 memory_mb=limits.memory_mb, max_pids=limits.max_pids),
                   preload=self.assignment.preload)

    def template_job(self, data_dir: Path | None, timeout: float) -> Job:
        """A job with the settings every job of this run gets, and no submission."""
        return self._job(Submission("-", self.out), self.assignment.notebooks[0],
                         nbformat.v4.new_notebook(), data_dir, timeout)

    def _release(self, name: str) -> NotebookNode | None:
        """The learner's copy of notebook ``name`` (to tell edited locked cells)."""
        path = self.release_dir / name
        return read_notebook(path) if path.is_file() else None

    def _keep_submitted(self, student: Submission) -> None:
        """``OUT/submitted/<student>/<assignment>/``: what was graded, as nbgrader keeps it."""
        target = self.out / "submitted" / student.id / self.assignment.id
        target.mkdir(parents=True, exist_ok=True)
        for name in self.assignment.notebooks:
            path = student.folder / name
            if path.is_file() and not path.is_symlink():
                shutil.copyfile(path, target / name)
        if student.timestamp:
            (target / TIMESTAMP).write_text(student.timestamp + "\n")

    # 7-8: collect, record
    def record(self, student: Submission, outcome: JobResult) -> None:
        """Save one executed notebook's grades; finish the student when all are in."""
        student.seconds += outcome.seconds
        if outcome.notebook_json is None:
            student.status = "error"
            student.messages.append(outcome.message)
        else:
            notebook, flags = collect(outcome)
            student.flags += flags
            grades = gradebook.save_grades(notebook, assignment_id=self.assignment.id,
                                           notebook_name=outcome.notebook_name,
                                           student=student.id, gradebook=self.book)
            student.by_notebook[outcome.notebook_name] = exercise_results(
                notebook, self.structure[outcome.notebook_name], grades)
            self._keep_autograded(student, outcome.notebook_name, notebook)
            if outcome.status != "ok":
                student.status = tamper.worst(student.status, outcome.status)
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

    def _keep_autograded(self, student: Submission, name: str, notebook: NotebookNode) -> None:
        path = self.out / "autograded" / student.id / self.assignment.id / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(unguard(notebook), path)

    def finish(self, student: Submission) -> GradeResult:
        # in the assignment's order, whichever notebook finished first
        student.exercises = [e for name in self.assignment.notebooks
                             for e in student.by_notebook.get(name, [])]
        score = sum(e.points for e in student.exercises)
        if student.flags and student.status not in ("invalid", "missing"):
            student.status = tamper.worst(student.status, "flagged")
        if student.status in ("graded", "flagged"):
            student.messages.insert(0, summary_message(student.exercises))
        elif student.status in ("invalid", "missing"):
            score = 0.0
        if student.status == "flagged":
            student.messages.insert(0, "flagged: " + "; ".join(dict.fromkeys(student.flags)))
        result = GradeResult(student.id, self.assignment.id, score, self.max_score,
                             student.status, "; ".join(student.messages), student.exercises,
                             seconds=student.seconds)
        html = feedback.render(result, lab_title=self.assignment.title,
                               hint_command=self.assignment.hint_command)
        for name in self.assignment.notebooks:
            path = self.out / "feedback" / student.id / f"{Path(name).stem}.html"
            result.feedback.append(str(feedback.write(path, html)))
        report.merge_rows(self.out / GRADES_CSV, [result.row()])
        instructor_report.save_result(self.out, result)
        self.results.append(result)
        return result


def _prepare_course(assignment: Assignment, out: Path, book: Path, cache: Path) -> Path:
    """Make ``out`` an nbgrader course holding this assignment (source, release, gradebook),
    unless it already holds this very source. Returns the release folder.

    ``nbgrader generate_assignment`` takes seconds, so a new ``out`` gets a copy of what it made
    for the same source before (kept under ``cache``, by the source's digest)."""
    release = out / "release" / assignment.id
    digest = _source_digest(assignment)
    stamp = out / f".{GRADEBOOK}.{assignment.id}.sha256"
    if not (book.exists() and release.is_dir() and stamp.is_file()
            and stamp.read_text() == digest):
        generated = None if book.exists() else _generated(assignment, digest, cache)
        if generated is None:  # another assignment's gradebook is here: add this one to it
            gradebook.generate(assignment_id=assignment.id, source_dir=assignment.source_dir,
                               release_dir=None, gradebook=book, course_root=out)
        else:
            for part in ("source", "release"):
                shutil.rmtree(out / part / assignment.id, ignore_errors=True)
                shutil.copytree(generated / part / assignment.id, out / part / assignment.id)
            shutil.copyfile(generated / GRADEBOOK, book)
        stamp.write_text(digest)
    gradebook.write_course_config(out, book)
    return release


def _source_digest(assignment: Assignment) -> str:
    from importlib.metadata import version  # importing nbgrader itself takes a second

    digest = hashlib.sha256(version("nbgrader").encode())
    for path in sorted(assignment.source_dir.rglob("*")):
        if path.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(path.parts):
            digest.update(str(path.relative_to(assignment.source_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _generated(assignment: Assignment, digest: str, cache: Path) -> Path | None:
    """An nbgrader course made from this source (its ``source/``, ``release/`` and a gradebook
    with no students yet), generated once per source digest; None if the cache is unusable."""
    folder = cache / f"{assignment.id}-{digest[:20]}"
    if (folder / GRADEBOOK).is_file():
        return folder
    try:
        cache.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".generating-", dir=cache))
    except OSError:
        return None
    try:
        gradebook.generate(assignment_id=assignment.id, source_dir=assignment.source_dir,
                           release_dir=None, gradebook=scratch / GRADEBOOK, course_root=scratch)
        with contextlib.suppress(OSError):  # a concurrent run made the same bytes: either wins
            scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # already gone once renamed
    return folder if (folder / GRADEBOOK).is_file() else None


def draw_cohort_chart(assignment: Assignment, out: Path, structure: list[Exercise]) -> Path:
    """``out/cohort.png``: the score distribution and the mean score per exercise."""
    from .charts import cohort_chart

    rows = [r for r in report.read_rows(out / GRADES_CSV) if r["lab"] == assignment.id]
    return cohort_chart(rows=rows, cell_scores=gradebook.cell_scores(
        assignment_id=assignment.id, gradebook=out / GRADEBOOK), exercises=structure,
        title=assignment.title, path=out / COHORT_CHART)


def results_by_status(results: Iterable[GradeResult]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for result in results:
        counts[result.status] += 1
    return dict(counts)
