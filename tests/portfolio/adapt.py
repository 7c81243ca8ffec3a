"""A candidate's adaptation of a rendered project, as ADAPTING.md asks: their own problem
statement, a decision log, model-card changes and a test of their own, in two commits of
their own. Used to show that the rubric passes a project once it is made someone's own."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

CANDIDATE = {"GIT_AUTHOR_NAME": "Casey Candidate", "GIT_AUTHOR_EMAIL": "casey@example.com",
             "GIT_COMMITTER_NAME": "Casey Candidate", "GIT_COMMITTER_EMAIL": "casey@example.com"}

PROBLEM = """## Problem

A regional wildlife trust surveys colonies twice a season, and volunteers enter each bird's
measurements on a tablet in the field. Species labels are typed by hand and roughly one in
twenty is wrong or missing, which skews the population counts the trust reports to its
funders. The model suggests a species at the moment a record is saved, from the four body
measurements and the island, so a volunteer can confirm or correct it on the spot. A wrong
suggestion that is accepted costs one miscounted bird; a missing suggestion costs nothing
but time, so the model should abstain when it is unsure rather than guess.
"""

DECISIONS = """# Decision log

## 2026-11 Framing
- The prediction is made when a record is saved: only the measurements and the island are
  known then, so no feature may depend on later review.
- Metric: macro F1, because Chinstrap penguins are the rarest class and matter as much as
  the others for the counts.

## 2026-11 Data
- Kept the shipped data: it matches the trust's measurement protocol (millimetres, grams).
- Rows with a missing label are dropped by the extraction; rows with missing measurements
  are kept and imputed, because the tablet allows a measurement to be skipped.

## 2026-11 Models tried
- Logistic regression: the baseline I would ship first; it is easy to explain to volunteers.
- Random forest: no better on cross-validation, slower to load on the tablet.
- A small neural network: similar accuracy, much harder to explain; not shipped.

## 2026-11 What failed
- A bill-ratio feature looked promising but did not change cross-validated F1; removed to keep
  the model small.
- A random split overstated accuracy for birds re-measured on a second visit; grouping by
  bird would fix it once the data has a bird id.

## 2026-11 Evaluation
- Five stratified folds on the training split, reported as mean and spread, because the
  hold-out set has only 86 birds and one mistake moves its F1 by about a point.
- The quality gate stays at macro F1 0.90 and a 0.30 lift over the majority class: below
  that, volunteers would correct more suggestions than they accept.
- Per-island scores are checked by hand each season, because Torgersen has few birds and a
  single volunteer's mistakes can dominate it.
- Calibration matters more than accuracy for the abstain rule: checked with a reliability
  curve on the folds before any threshold is chosen.

## Next
- Abstain below a confidence threshold chosen from the validation folds.
- Re-check the data contract when the trust adds a fourth island.
"""

CARD = """
## Intended use (the wildlife trust)
- For: suggesting a species to a trained volunteer, who confirms or corrects it.
- Not for: counting birds without a person in the loop, or identifying other species.
- Users: survey volunteers on the trust's tablets; the survey lead reviews corrections weekly.

## Limitations found while adapting
- Trained on three islands; a fourth island is an unknown category and gets no weight.
- Measurements outside the contract's ranges are refused, not clipped: the volunteer is asked
  to re-measure.
- Re-measured birds can appear in both training and test data; scores may be optimistic.
"""

OWN_TEST = '''"""My own checks: the decisions in docs/decisions.md hold in the code."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_decision_log_exists_and_is_dated():
    text = (ROOT / "docs" / "decisions.md").read_text()
    assert "## 2026-11 Framing" in text
    assert "## What failed" not in text  # every entry carries its month


def test_problem_statement_is_mine():
    readme = (ROOT / "README.md").read_text()
    assert "wildlife trust" in readme
    assert "TODO(you)" not in readme


def test_the_model_card_says_who_must_not_use_it():
    card = (ROOT / "MODEL_CARD.md").read_text()
    assert "Not for" in card
    assert "fourth island" in card


def test_every_decision_has_a_reason():
    text = (ROOT / "docs" / "decisions.md").read_text()
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(bullets) >= 8
    assert all(len(line.split()) >= 6 for line in bullets)  # a reason, not a keyword
'''


def _git(project: Path, *args: str) -> None:
    import os

    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True,
                   env={**os.environ, **CANDIDATE})


def adapt(project: Path, dest: Path) -> Path:
    """A copy of ``project`` (with its history) made the candidate's own in two commits."""
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns(
        "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"))
    readme = dest / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = re.sub(r"## Problem\n.*?(?=\n## )", PROBLEM, text, count=1, flags=re.S)
    readme.write_text(text + "\nDecisions and what failed: [docs/decisions.md](docs/decisions.md).\n",
                      encoding="utf-8")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-m", "State the wildlife trust's problem")
    (dest / "docs").mkdir(exist_ok=True)
    (dest / "docs" / "decisions.md").write_text(DECISIONS, encoding="utf-8")
    card = dest / "MODEL_CARD.md"
    card.write_text(card.read_text(encoding="utf-8") + CARD, encoding="utf-8")
    (dest / "tests" / "code" / "test_my_decisions.py").write_text(OWN_TEST, encoding="utf-8")
    config = dest / "configs" / "train.yaml"
    if config.is_file():  # the training pipeline: a stronger penalty, as the log decides
        config.write_text(config.read_text(encoding="utf-8").replace(
            "    C: 1.0", "    C: 0.5                      # docs/decisions.md: fewer, surer "
            "suggestions"), encoding="utf-8")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-m", "Decision log, limitations and tests of my own")
    return dest
