"""The reported-numbers items on small hand-made projects (the templates' own `make metrics`
is exercised by the adapted renders in test_check.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from autograder.portfolio.claims import (
    MAX_TOLERANCE,
    claimed_rows,
    claims_item,
    matches_as_written,
    reproduced_item,
)

TABLE = """# Results

<!-- metrics:begin (written by make metrics) -->
| Metric | Model | Baseline | Meaning |
|---|---|---|---|
| `roc_auc` | {auc} | - | ranking |
| `brier` | 0.1643 | 0.1785 | lower is better |
<!-- metrics:end -->
"""


def _project(root: Path, *, metrics: dict, tolerance=0.02, auc="0.677", writes=None) -> Path:
    """A project whose `make metrics` writes ``writes`` (default: ``metrics``)."""
    root.mkdir()
    (root / "reports").mkdir()
    (root / "reports" / "metrics.json").write_text(
        json.dumps({"metrics": metrics, "tolerance": tolerance}))
    for name in ("README.md", "MODEL_CARD.md"):
        (root / name).write_text(TABLE.format(auc=auc))
    payload = json.dumps({"metrics": writes if writes is not None else metrics})
    (root / "write.py").write_text(
        "from pathlib import Path\n"
        f"Path('reports').mkdir(exist_ok=True)\nPath('reports/metrics.json').write_text({payload!r})\n")
    (root / "Makefile").write_text("PYTHON ?= python\nmetrics:\n\t$(PYTHON) write.py\n")
    return root


@pytest.mark.parametrize(("actual", "written", "ok"), [
    (0.6771, "0.677", True), (0.6765, "0.677", True), (0.6764, "0.677", False),
    (0.6771, "0.68", True), (0.6771, "0.7", True), (0.6771, "0.6771", True),
    (0.6771, "0.6772", False), (0.232, "23.2%", True), (0.232, "23.4%", False),
    (21.28, "21.3", True), (21.28, "21", True), (0.5, "n/a", False),
])
def test_a_number_matches_at_the_precision_it_is_written_with(actual, written, ok):
    assert matches_as_written(actual, written) is ok


def test_only_the_table_between_the_markers_is_read():
    text = "| x | y |\n|---|---|\n| `other` | 9 |\n\n" + TABLE.format(auc="0.677")
    assert claimed_rows(text) == [("roc_auc", "0.677"), ("brier", "0.1643"),
                                  ("baseline_brier", "0.1785")]
    assert claimed_rows("no markers here") is None


def test_claims_that_agree_pass(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.6771, "brier": 0.16432,
                                                  "baseline_brier": 0.17851})
    item = claims_item(root)
    assert item.passed, item.detail
    assert "6 numbers" in item.detail


def test_a_number_typed_by_hand_is_caught(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.6771, "brier": 0.16432}, auc="0.712")
    item = claims_item(root)
    assert not item.passed and item.points_earned == 0
    assert "`roc_auc` is written 0.712, but reports/metrics.json has 0.6771" in item.detail
    assert "make metrics" in item.fix


def test_a_claim_about_a_metric_the_file_lacks_is_caught(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.6771, "brier": 0.16432})
    item = claims_item(root)
    assert not item.passed
    assert "`baseline_brier` is not in reports/metrics.json" in item.detail


def test_a_missing_table_or_file_says_what_to_run(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.6771, "brier": 0.16432})
    (root / "MODEL_CARD.md").write_text("# Model card\n\nROC AUC 0.677\n")
    item = claims_item(root)
    assert not item.passed and "MODEL_CARD.md: no metrics table" in item.detail
    (root / "reports" / "metrics.json").unlink()
    item = claims_item(root)
    assert not item.passed and "missing" in item.detail and "make metrics" in item.fix


def test_numbers_the_code_reproduces_pass(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.6771, "brier": 0.16432},
                    writes={"roc_auc": 0.6790, "brier": 0.1650})
    item = reproduced_item(root, timeout=120)
    assert item.passed, item.detail
    assert "2 of 2 metrics within ±0.02" in item.detail


def test_numbers_the_code_does_not_reproduce_fail(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.91, "brier": 0.16432},
                    writes={"roc_auc": 0.6771, "brier": 0.16432})
    item = reproduced_item(root, timeout=120)
    assert not item.passed
    assert "`roc_auc`: committed 0.91, reproduced 0.6771" in item.detail


def test_a_stated_tolerance_cannot_be_loosened_past_the_cap(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.91}, tolerance=1.0,
                    writes={"roc_auc": 0.6771})
    item = reproduced_item(root, timeout=120)
    assert not item.passed
    assert f"the check allows at most {MAX_TOLERANCE:g}" in item.detail


def test_a_make_metrics_that_writes_nothing_does_not_pass_on_the_committed_file(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.6771})
    (root / "Makefile").write_text("metrics:\n\t@echo pretending\n")
    item = reproduced_item(root, timeout=120)
    assert not item.passed
    assert "missing" in item.detail


def test_a_failing_make_metrics_shows_its_output(tmp_path):
    root = _project(tmp_path / "p", metrics={"roc_auc": 0.6771})
    (root / "Makefile").write_text(f"metrics:\n\t{sys.executable} -c 'raise SystemExit(\"no data\")'\n")
    item = reproduced_item(root, timeout=120)
    assert not item.passed
    assert "no data" in item.detail and "Makefile" in item.fix
