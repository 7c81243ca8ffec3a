"""Rubric items for the numbers a project reports: are they the ones its code produces?

A project commits ``reports/metrics.json`` (written by its own ``make metrics``)::

    {"metrics": {"roc_auc": 0.6771, "brier": 0.1643}, "tolerance": 0.02,
     "command": "make metrics"}

and shows those numbers in README.md and MODEL_CARD.md between two markers, as a table whose
first column names the metric (a "Baseline" column holds ``baseline_<metric>``)::

    <!-- metrics:begin -->
    | Metric | Model | Baseline |
    |---|---|---|
    | `roc_auc` | 0.677 | 0.500 |
    <!-- metrics:end -->

Two checks follow. *Claims match*: every number in those tables equals the file's value at
the precision it is written with (0.677 claims 0.6765 <= x < 0.6775). *Reproduced*: the
checker copies the project (the files git would commit), runs ``make metrics`` in the copy,
and each metric must land within the file's stated tolerance (at most ``MAX_TOLERANCE``) of
the committed value. Numbers elsewhere in the prose are for the human reviewer.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .rubric import RubricItem
from .tools import project_python

METRICS_FILE = Path("reports") / "metrics.json"
CLAIM_FILES = ("README.md", "MODEL_CARD.md")
BEGIN, END = "<!-- metrics:begin", "<!-- metrics:end -->"
DEFAULT_TOLERANCE = 0.02
MAX_TOLERANCE = 0.05  # a project may state a tighter tolerance, never a looser one
REPRODUCE_COMMAND = ["make", "metrics"]
SKIP_COPY = {".git", ".venv", "venv", "mlruns", "artifacts", "__pycache__", ".pytest_cache",
             ".ruff_cache", ".mypy_cache", "reports"}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_FIX_FILE = ("run `make metrics` and commit reports/metrics.json: it records your model's "
             "test metrics, and the README and model card tables are written from it")


class ClaimsError(ValueError):
    """reports/metrics.json is missing or not in the expected shape."""


def load_metrics(path: Path) -> tuple[dict[str, float], float]:
    """The numeric metrics and the stated tolerance of a ``reports/metrics.json``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ClaimsError(f"{METRICS_FILE} is missing") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClaimsError(f"{METRICS_FILE} is not valid JSON ({exc})") from exc
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict) or not metrics:
        raise ClaimsError(f"{METRICS_FILE} has no \"metrics\" object with at least one number")
    numbers = {str(k): float(v) for k, v in metrics.items()
               if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)}
    if not numbers:
        raise ClaimsError(f"{METRICS_FILE} \"metrics\" holds no finite numbers")
    tolerance = data.get("tolerance", DEFAULT_TOLERANCE)
    if not isinstance(tolerance, int | float) or isinstance(tolerance, bool) or tolerance < 0:
        raise ClaimsError(f"{METRICS_FILE} \"tolerance\" must be a non-negative number")
    return numbers, float(tolerance)


def claimed_rows(text: str) -> list[tuple[str, str]] | None:
    """(metrics.json key, written value) for each number in the table between the markers;
    None when the markers are absent.

    The first column names the metric. A column headed "Baseline" holds ``baseline_<metric>``;
    any other column holding numbers holds the metric itself. "-" and words are skipped.
    """
    start = text.find(BEGIN)
    end = text.find(END, start + 1) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    lines = [line.strip() for line in text[start:end].splitlines() if line.strip().startswith("|")]
    if len(lines) < 3:
        return []
    header = [cell.strip().lower() for cell in lines[0].strip("|").split("|")]
    claims = []
    for line in lines[2:]:
        cells = [cell.strip().strip("`* ") for cell in line.strip("|").split("|")]
        for column, cell in enumerate(cells[1:], start=1):
            if _NUMBER.fullmatch(cell.rstrip("%").strip()) is None:
                continue
            prefix = "baseline_" if column < len(header) and "baseline" in header[column] else ""
            claims.append((prefix + cells[0], cell))
    return claims


def matches_as_written(actual: float, written: str) -> bool:
    """True when ``written`` is ``actual`` rounded to the decimals written (a trailing %
    means percent)."""
    percent = written.endswith("%")
    match = _NUMBER.fullmatch(written.rstrip("%").strip())
    if match is None:
        return False
    decimals = len(match.group().split(".")[1]) if "." in match.group() else 0
    value = actual * 100 if percent else actual
    return abs(value - float(match.group())) <= 0.5 * 10 ** -decimals + 1e-9


def claims_item(root: Path) -> RubricItem:
    """README and model card tables agree with reports/metrics.json, number by number."""
    name = "reported numbers match reports/metrics.json"
    try:
        metrics, _ = load_metrics(root / METRICS_FILE)
    except ClaimsError as exc:
        return RubricItem.all_or_nothing(name, 6, False, detail=str(exc), fix=_FIX_FILE)
    problems, checked = [], 0
    for filename in CLAIM_FILES:
        path = root / filename
        rows = claimed_rows(path.read_text(encoding="utf-8")) if path.is_file() else None
        if not rows:
            problems.append(f"{filename}: no metrics table between `{BEGIN} -->` and `{END}`")
            continue
        for metric, written in rows:
            checked += 1
            if metric not in metrics:
                problems.append(f"{filename}: `{metric}` is not in {METRICS_FILE}")
            elif not matches_as_written(metrics[metric], written):
                problems.append(f"{filename}: `{metric}` is written {written}, but "
                                f"{METRICS_FILE} has {metrics[metric]:.4g}")
    return RubricItem.all_or_nothing(
        name, 6, not problems,
        detail="\n".join(problems) if problems else
        f"{checked} numbers in {' and '.join(CLAIM_FILES)} agree with {METRICS_FILE}",
        fix="run `make metrics` (it rewrites both tables from your latest results) and commit; "
            "never type a metric by hand")


def reproduced_item(root: Path, timeout: float) -> RubricItem:
    """``make metrics`` in a clean copy gives the committed numbers, within tolerance."""
    name = "reported metrics reproduce (`make metrics` in a clean copy)"
    try:
        committed, stated = load_metrics(root / METRICS_FILE)
    except ClaimsError as exc:
        return RubricItem.all_or_nothing(name, 8, False, detail=str(exc), fix=_FIX_FILE)
    tolerance = min(stated, MAX_TOLERANCE)
    python, where = project_python(root)
    with tempfile.TemporaryDirectory(prefix="mle-reproduce-") as tmp:
        copy = Path(tmp) / root.name
        _copy_project(root, copy)
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true",
               "MPLCONFIGDIR": str(Path(tmp) / "mpl"),
               "PATH": os.pathsep.join([str(Path(python).parent), os.environ.get("PATH", "")])}
        try:
            result = subprocess.run([*REPRODUCE_COMMAND, f"PYTHON={python}"], cwd=copy, env=env,
                                    capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return RubricItem.all_or_nothing(
                name, 8, False, detail=f"`make metrics` ran longer than {timeout:.0f}s",
                fix="make `make metrics` reproducible in minutes (a sample, fewer resamples)")
        except FileNotFoundError:
            return RubricItem.all_or_nothing(name, 8, False, detail="`make` is not installed",
                                             fix="install make to run this check")
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-8:])
            return RubricItem.all_or_nothing(
                name, 8, False, detail=f"`make metrics` failed in a clean copy ({where}):\n{tail}",
                fix="add a `metrics` target to the Makefile that retrains or re-evaluates and "
                    "rewrites reports/metrics.json, and make it work from a fresh clone")
        try:
            fresh, _ = load_metrics(copy / METRICS_FILE)
        except ClaimsError as exc:
            return RubricItem.all_or_nothing(
                name, 8, False, detail=f"after `make metrics`: {exc}",
                fix="`make metrics` must write reports/metrics.json")
    off = [f"`{k}`: committed {v:.4g}, reproduced "
           + (f"{fresh[k]:.4g} (differs by {abs(fresh[k] - v):.3g})" if k in fresh else "nothing")
           for k, v in committed.items() if k not in fresh or abs(fresh[k] - v) > tolerance]
    loosened = f" (the file states {stated:g}; the check allows at most {MAX_TOLERANCE:g})" \
        if stated > MAX_TOLERANCE else ""
    detail = (f"{len(committed) - len(off)} of {len(committed)} metrics within ±{tolerance:g}"
              f"{loosened} ({where})")
    return RubricItem.all_or_nothing(
        name, 8, not off, detail="\n".join([detail, *off]),
        fix="the committed numbers are not what the code gives: rerun `make metrics` and "
            "commit its output (if a run varies, fix the seed or state a tolerance)")


def _copy_project(root: Path, dest: Path) -> None:
    """The files git would commit (tracked and untracked-not-ignored), or, outside git, the
    tree without environments, caches and run outputs. The committed reports/metrics.json
    is left out, so a `make metrics` that writes nothing cannot pass."""
    dest.mkdir(parents=True)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=root, capture_output=True, check=False)
    files = [f for f in listed.stdout.decode().split("\0") if f] if listed.returncode == 0 \
        else None
    if files is None:
        shutil.copytree(root, dest, symlinks=True, dirs_exist_ok=True,
                        ignore=lambda _d, names: [n for n in names if n in SKIP_COPY])
    else:
        for name in files:
            source = root / name
            if source.is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name, follow_symlinks=False)
    (dest / METRICS_FILE).unlink(missing_ok=True)  # it must be written afresh
