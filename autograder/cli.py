"""The ``mle`` command: parse arguments, call one function, map errors to exit codes.

Each command is a thin shell over a keyword-only Python function (``grade_cohort``,
``check_lab``, ...) that takes its defaults from ``Settings``, so the CLI and the Python API
never drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_support import friendly
from .portfolio import cli as portfolio_cli
from .startup import skip_slow_optional_imports

skip_slow_optional_imports()  # before anything imports nbformat: see startup.py
app = typer.Typer(help="ML Engineer Labs: take, check and grade the labs; build your portfolio.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

LabArg = Annotated[str, typer.Argument(help="lab id or number, e.g. 1 or lab01-python-sql")]
ICONS = {"passed": "✔", "partial": "◐", "failed": "✘", "error": "!", "not run": "·", "manual": "✎"}


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@app.command("list")
@friendly
def list_command() -> None:
    """The labs, the skills each practises, and how far you are.

    Example: mle list   (then: mle start 1)
    """
    from .learner import list_labs

    for row in list_labs():
        lab = row.lab
        best = f" — best {row.best[0]:g}/{row.best[1]:g}" if row.best else ""
        typer.echo(f"{lab.number}. {lab.title}  [{lab.id}]  {row.status}{best}")
        typer.echo(f"   {lab.summary}\n   skills: {', '.join(lab.skills)}")
        if row.notice:
            typer.echo(f"   ⚠ {row.notice}")


@app.command()
@friendly
def release(labs: Annotated[list[str] | None, typer.Argument(
        help="lab ids or numbers; default: every lab that has notebooks")] = None) -> None:
    """Regenerate labs/ (the learners' notebooks) from solutions/ with nbgrader.

    Example: mle release 4   (or: mle release, for every written lab)
    """
    from .course import Course
    from .release import release_lab

    course = Course()
    chosen = [course.lab(ref) for ref in labs] if labs else \
        [lab for lab in course.labs if course.is_available(lab)]
    for lab in chosen:
        target = release_lab(lab=lab.id, settings=course.settings)
        typer.echo(f"released {lab.id} -> {_shown(target)}")


@app.command()
@friendly
def start(lab: LabArg) -> None:
    """Copy a lab into work/<lab>/, your own untracked copy (an existing copy is never touched).

    Example: mle start 1   (then: mle lab, and open work/lab01-python-sql/)
    """
    from .learner import start_lab

    started = start_lab(lab=lab)
    for name in started.copied:
        typer.echo(f"copied  {name}")
    for name in started.kept:
        typer.echo(f"kept    {name} (you already have it; delete it to start that file again)")
    if started.kept:
        from .course import Course
        from .editions import notice

        course = Course()
        if (line := notice(course, course.lab(lab))) is not None:
            typer.echo(f"⚠ {line}")
    typer.echo(f"\nYour copy: {_shown(started.folder)}\nOpen it:   make lab   (or: .venv/bin/"
               f"jupyter lab {_shown(started.folder)})\nCheck it:  mle check {lab}")


@app.command()
@friendly
def upgrade(lab: LabArg) -> None:
    """Move your answers into the newest edition of a lab; your copy is kept, untouched.

    Example: mle upgrade 1   (mle list says when a lab has a new edition)
    """
    from .editions import BACKUPS, upgrade_lab

    done = upgrade_lab(lab=lab)
    the_lab = done.lab
    typer.echo(f"{the_lab.id}: edition {done.from_edition} -> {the_lab.edition}")
    typer.echo(f"  answers carried over: {', '.join(done.carried) or 'none'}")
    if done.fresh:
        typer.echo(f"  not started, so the new starting code is used: {', '.join(done.fresh)}")
    if done.own_cells:
        typer.echo(f"  cells you added, kept: {done.own_cells}")
    for change in the_lab.changelog:
        if change.edition > done.from_edition:
            typer.echo(f"  edition {change.edition}: {change.summary}")
    if done.changed:
        typer.echo(f"  re-read these exercises, their task changed: {', '.join(done.changed)}")
    for backup in done.backups:
        typer.echo(f"  your previous copy: {_shown(backup)}")
    typer.echo(f"Then check it: mle check {the_lab.number}   (old copies stay in {BACKUPS}/)")


@app.command()
@friendly
def lab(port: Annotated[int | None, typer.Option(help="port to serve on")] = None,
        browser: Annotated[bool, typer.Option(help="open a browser tab")] = True) -> None:
    """Open JupyterLab on your copies of the labs (work/), with the course's settings.

    Example: mle lab   (then open work/lab01-python-sql/python_sql.ipynb; press Validate to
    run its visible tests, or type `mle check 1` in a JupyterLab terminal)
    """
    import os

    from .jupyterlab import lab_launch

    launch = lab_launch(port=port, open_browser=browser)
    typer.echo(f"JupyterLab on {_shown(launch.folder)} (Ctrl-C twice to stop)")
    os.execvpe(launch.command[0], launch.command, launch.env)


@app.command()
@friendly
def check(lab: LabArg,
          notebook: Annotated[Path | None, typer.Option(
              help="the notebook to check (default: your copy in work/<lab>/)")] = None) -> None:
    """Grade your notebook the way the instructor will, and record the attempt.

    Example: mle check 1   (in a notebook cell: %load_ext autograder, then %mle check 1)
    """
    from .course import Course
    from .self_check import check_dir, check_lab, notebooks_to_check

    course = Course()
    the_lab = course.lab(lab)
    course.require_available(the_lab)
    notebooks_to_check(course, the_lab, notebook)  # a missing notebook is said before we start
    if notebook is None:
        from .editions import notice

        if (line := notice(course, the_lab)) is not None:
            typer.echo(f"⚠ {line}")
    typer.echo(f"Checking {the_lab.id}: running your whole notebook in a fresh kernel...")
    result = check_lab(lab=lab, notebook=notebook)
    for exercise in result.exercises:
        icon = ICONS.get(exercise.status, "?")
        typer.echo(f" {icon} {exercise.id}  {exercise.title:<42} "
                   f"{exercise.points:g}/{exercise.max_points:g}")
        for cell in exercise.cells:
            if cell.status != "passed" and cell.message:
                typer.echo(f"      {cell.grade_id}: {cell.message}")
    typer.echo(f"\nScore: {result.score:g}/{result.max_score:g}  ({result.status}) — "
               f"{result.message}")
    if result.status in ("invalid", "missing"):
        typer.echo(f"Your notebook could not be graded. If it is damaged, keep it aside and take a "
                   f"fresh copy: mv it elsewhere, then `mle start {the_lab.number}`.")
    elif result.score < result.max_score:
        typer.echo(f"Hints: the 💡 boxes under each exercise, or `mle hint {the_lab.number} "
                   "<exercise>` (add --level 2 for more).")
    feedback = check_dir(Course(), the_lab.id) / "feedback"
    typer.echo(f"Feedback page: {_shown(feedback)}")
    if result.status not in ("graded",):
        raise typer.Exit(1)


@app.command()
@friendly
def hint(lab: LabArg,
         exercise: Annotated[str, typer.Argument(help="exercise id or number, e.g. ex03 or 3")],
         level: Annotated[int, typer.Option(help="how many hint levels to show")] = 1) -> None:
    """Show an exercise's hints, one level at a time.

    Example: mle hint 1 ex03 --level 2
    """
    from .learner import hints

    title, shown, total = hints(lab=lab, exercise=exercise, level=level)
    typer.echo(f"{title}")
    for heading, text in shown:
        typer.echo(f"\n{heading}\n{text}")
    if len(shown) < total:
        typer.echo(f"\n({total - len(shown)} more level(s): --level {len(shown) + 1})")


@app.command()
@friendly
def progress(markdown: Annotated[bool, typer.Option(
        "--markdown", help="print a skills-evidence section for a portfolio README")] = False,
             ) -> None:
    """Your points against the 15 skills employers list for ML engineers.

    Example: mle progress --markdown >> ~/code/my-pipeline/README.md
    """
    from .course import Course
    from .progress import evidence_markdown, read_store, skill_progress

    course = Course()
    if markdown:
        typer.echo(evidence_markdown(course), nl=False)
        return
    if read_store(course).damaged:
        typer.echo("Your progress file could not be read: it is kept aside at your next "
                   "`mle check`, and the bars below start again from there.", err=True)
    for skill in skill_progress(course):
        if skill.available:
            filled = int(round(20 * skill.earned / skill.available))
            bar = "█" * filled + "░" * (20 - filled)
            typer.echo(f"{skill.name:<34} {bar} {skill.earned:g}/{skill.available:g}")
        else:
            typer.echo(f"{skill.name:<34} {'(in labs still to come)':<20}")
    typer.echo("\nWhere each skill is practised: mle skills. For your portfolio README: "
               "mle progress --markdown")


@app.command()
@friendly
def skills(markdown: Annotated[bool, typer.Option(
        "--markdown", help="print the skills map as Markdown (curriculum/skills-map.md)")] = False,
           ) -> None:
    """The 15 skills employers list: level asked, the lab exercises and portfolio projects.

    Example: mle skills   (mle progress shows your own points against the same skills)
    """
    from .course import Course
    from .skills import evidence_problems, skills_evidence, skills_markdown

    course = Course()
    if markdown:
        typer.echo(skills_markdown(course), nl=False)
        return
    for row in skills_evidence(course):
        skill = row.skill
        typer.echo(f"{skill.name}  [{skill.id}]  level asked: {skill.level}")
        for lab in row.labs:
            ids = ", ".join(ref.id for ref in row.exercises if ref.lab.id == lab.id)
            typer.echo(f"   Lab {lab.number} {lab.title}: {ids}")
        for evidence in row.portfolio:
            typer.echo(f"   portfolio, {evidence.project}: {evidence.shows}")
        if skill.offline:
            typer.echo(f"   without a cloud account: {' '.join(skill.offline.split())}")
    for problem in evidence_problems(course):
        typer.echo(f"! {problem}", err=True)


@app.command()
@friendly
def grade(
    lab: Annotated[str | None, typer.Argument(
        help="lab id or number, e.g. 1 (leave it out with --source)", show_default=False)] = None,
    submissions: Annotated[Path | None, typer.Argument(
        help="a folder with one sub-folder per student (or nbgrader's submitted/ folder)",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="where grades.csv, feedback/ and the "
                                                           "nbgrader course go")] = None,
    source: Annotated[Path | None, typer.Option(
        help="grade your own nbgrader assignment: its source folder, e.g. "
             "course/source/ps1", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(help="parallel workers (default: one per "
                                                     "core)", min=1)] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds one cell may run (default "
                                                       "60)", min=1)] = None,
    sandbox: Annotated[str | None, typer.Option(
        help="around each kernel: auto (default; the strongest available, and refuse to run "
             "learner code without one), bwrap, or none (only for cohorts you trust)")] = None,
    executor: Annotated[str, typer.Option(
        help="where submissions run: pool (worker processes here) or dask (a Dask cluster: "
             "--scheduler, or a local one)")] = "pool",
    scheduler: Annotated[str | None, typer.Option(
        help="a Dask scheduler's address: tcp://127.0.0.1:PORT or tls://HOST:PORT",
        show_default=False)] = None,
) -> None:
    """Grade a cohort: grades.csv, feedback per student, and an nbgrader gradebook.

    Examples: mle grade 1 submissions/ --out grading/
              mle grade --source course/source/ps1 course/submitted/ --out grading/
    """
    from .errors import UsageError
    from .grade import COHORT_CHART, GRADEBOOK, GRADES_CSV, grade_cohort
    from .instructor_report import REPORT
    from .report import format_table
    from .sandbox import protections, resolve_mode
    from .settings import Settings
    from .zygote import kernels_line

    if source is not None and submissions is None and lab is not None:
        lab, submissions = None, Path(lab)  # `mle grade --source SRC SUBMISSIONS`
    if submissions is None or out is None or (lab is None) == (source is None):
        raise UsageError("usage: `mle grade LAB SUBMISSIONS --out OUT`, or "
                         "`mle grade --source ASSIGNMENT_FOLDER SUBMISSIONS --out OUT`")
    if executor not in ("pool", "dask") or (scheduler and executor != "dask"):
        raise UsageError("--executor is pool or dask; --scheduler goes with --executor dask, "
                         "e.g. `mle grade 1 subs/ --out out/ --executor dask --scheduler "
                         "tcp://127.0.0.1:8786`")
    mode = resolve_mode(sandbox or Settings().sandbox)
    running = None
    if executor == "dask":
        from .executors import DaskExecutor

        running = DaskExecutor(scheduler, workers=workers or Settings().workers)
    results = grade_cohort(lab=lab, source=source, submissions=submissions, out=out,
                           workers=workers, timeout=timeout, sandbox=mode, executor=running,
                           on_start=lambda assignment: _print_protections(
                               [*protections(mode), kernels_line(assignment.preload)]))
    if not results:
        typer.echo(f"no student folders in {submissions}: nothing graded")
    typer.echo(format_table(sorted((r.row() for r in results), key=lambda r: r["student_id"])))
    waiting = sum(1 for r in results if "await manual grading" in r.message)
    typer.echo(f"\ngrades:    {_shown(out / GRADES_CSV)}\nfeedback:  {_shown(out / 'feedback')}"
               f"\ngradebook: {_shown(out / GRADEBOOK)}\nchart:     {_shown(out / COHORT_CHART)}"
               f"\nreport:    {_shown(out / REPORT)}")
    if waiting:
        typer.echo(f"\n{waiting} submission(s) have answers to grade by hand: run "
                   f"`nbgrader formgrader` in {_shown(out)} (an nbgrader course folder).")


def _print_protections(lines: list[str]) -> None:
    typer.echo("Protections on this machine:")
    for line in lines:
        typer.echo(f"  - {line}")


@app.command()
@friendly
def site(out: Annotated[Path | None, typer.Option(
        help="output folder (default: build/site)")] = None) -> None:
    """Build the course website (static, offline): syllabus, skills map, every lab read-only.

    Example: mle site   (the same as make site; open build/site/index.html)
    """
    from .site import build_site, log_to_stderr

    log_to_stderr()
    built = build_site(out=out)
    typer.echo(f"The course site: {_shown(built)}/index.html (with search: "
               f"python -m http.server -d {_shown(built)})")


@app.command()
@friendly
def demo(out: Annotated[Path, typer.Option(help="where the demo writes")] = Path("demo-output"),
         workers: Annotated[int | None, typer.Option(min=1)] = None) -> None:
    """Release Lab 1, grade a small made-up cohort, and show the grades and feedback.

    Example: mle demo --out demo-output   (then open demo-output/report.html)
    """
    from .demo import COHORT, run_demo
    from .report import format_table

    typer.echo("The demo cohort:")
    for student, what in COHORT.items():
        typer.echo(f"  {student:<12} {what}")
    results = run_demo(out=out, workers=workers)
    typer.echo("\n" + format_table(sorted((r.row() for r in results),
                                          key=lambda r: r["student_id"])))
    typer.echo(f"\nFeedback pages: {_shown(out / 'grading' / 'feedback')}/<student>/*.html"
               f"\nGrades: {_shown(out / 'grading' / 'grades.csv')}"
               f"\nChart:  {_shown(out / 'grading' / 'cohort.png')}")


app.add_typer(portfolio_cli.app, name="portfolio",
              help="Create your three portfolio projects and check them against the rubric.")

if __name__ == "__main__":  # pragma: no cover
    app()
