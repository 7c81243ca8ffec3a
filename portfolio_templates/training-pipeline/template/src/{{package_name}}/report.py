"""The numbers this project reports, written from one run so they cannot drift apart.

``write_report`` saves ``reports/metrics.json`` and rewrites the table between the
``<!-- metrics:begin -->`` and ``<!-- metrics:end -->`` markers in README.md and
MODEL_CARD.md. ``make metrics`` calls it after a fresh run; commit what it writes.

Why: a reviewer (and ``mle portfolio check``) reruns ``make metrics`` in a clean copy and
compares. A number typed by hand, or left over from an older model, shows up as a mismatch.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

METRICS_FILE = Path("reports") / "metrics.json"
DOCUMENTS = ("README.md", "MODEL_CARD.md")
BEGIN = "<!-- metrics:begin (written by `make metrics` from reports/metrics.json: do not edit) -->"
END = "<!-- metrics:end -->"
# What each metric means, in the words a reader needs; only these are reported.
MEANINGS = {
    "roc_auc": "ranking quality: 0.5 is a coin flip, 1.0 perfect",
    "average_precision": "precision averaged over recall; a random model scores the positive share",
    "brier": "mean squared error of the probabilities (lower is better)",
    "f1": "F1 of the positive class at the chosen threshold",
    "threshold": "probability above which the positive class is predicted",
    "accuracy": "share of test rows predicted correctly",
    "f1_macro": "F1 averaged over classes, each class counted equally",
    "mae": "mean absolute error (lower is better)",
    "rmse": "root mean squared error (lower is better)",
    "r2": "share of the variance explained (1.0 perfect, 0 no better than the mean)",
}
BASELINE_PREFIX = "baseline_"
DEFAULT_TOLERANCE = 0.02  # a rerun on another machine may differ in the last digits


def headline(metrics: Mapping[str, object]) -> dict[str, float]:
    """The metrics worth a table row, and their baselines, in a fixed order."""
    chosen: dict[str, float] = {}
    for key in MEANINGS:
        for name in (key, BASELINE_PREFIX + key):
            value = metrics.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if math.isfinite(value):
                chosen[name] = round(float(value), 4)
    return chosen


def table(metrics: Mapping[str, float]) -> str:
    """One row per metric: the model's test value, the baseline's when there is one."""
    rows = ["| Metric | Model | Baseline | Meaning |", "|---|---|---|---|"]
    for name, value in metrics.items():
        if name.startswith(BASELINE_PREFIX):
            continue
        base = metrics.get(BASELINE_PREFIX + name)
        shown = "-" if base is None or name == "threshold" else f"{base:.4f}"
        rows.append(f"| `{name}` | {value:.4f} | {shown} | {MEANINGS[name]} |")
    return "\n".join(rows)


def replace_block(text: str, block: str) -> str:
    """``text`` with the marked block replaced (appended when there are no markers)."""
    pattern = re.compile(r"<!-- metrics:begin.*?<!-- metrics:end -->", re.DOTALL)
    replacement = f"{BEGIN}\n{block}\n{END}"
    if pattern.search(text):
        return pattern.sub(lambda _match: replacement, text, count=1)
    return text.rstrip("\n") + f"\n\n## Metrics\n\n{replacement}\n"


def write_report(
    metrics: Mapping[str, object],
    *,
    root: Path = Path("."),
    source: str,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Path:
    """Write reports/metrics.json and the two tables; return the JSON path."""
    chosen = headline(metrics)
    if not chosen:
        raise ValueError("no reportable metric in the run's results")
    path = Path(root) / METRICS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "metrics": chosen,
        "tolerance": tolerance,
        "command": "make metrics",
        "source": source,
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
    for name in DOCUMENTS:
        document = Path(root) / name
        if document.is_file():
            document.write_text(replace_block(document.read_text(), table(chosen)))
    return path
