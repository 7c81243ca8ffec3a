"""A candidate's adaptation of a rendered project, as ADAPTING.md asks: their own problem
statement (an airline operations desk, for the default flight-delays problem), a decision
log, model-card changes, a test of their own and the numbers `make metrics` measures, in two
commits of their own. Used to show
that the rubric passes a project once it is made someone's own."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

CANDIDATE = {"GIT_AUTHOR_NAME": "Casey Candidate", "GIT_AUTHOR_EMAIL": "casey@example.com",
             "GIT_COMMITTER_NAME": "Casey Candidate", "GIT_COMMITTER_EMAIL": "casey@example.com"}

PROBLEM = """## Problem

A regional carrier's hub-control team at Newark protects onward connections. Today a duty
manager scans the departure board by hand roughly two hours ahead of each bank, while
rebooking is still cheap and seats on later services remain. This project hands that team a
ranked shortlist at that moment: the departures most likely to reach their destination
fifteen or more minutes behind schedule, scored using only the timetable, the aircraft and
the weather outlook. Overlooking a delayed departure strands travellers overnight (hotel
vouchers, compensation claims); a false alarm costs an agent a few minutes of checking, so
the team favours recall and works down the shortlist from the top.
"""

DECISIONS = """# Decision log

## 2026-11 Framing
- The prediction is made two hours before departure: only the schedule, the aircraft and the
  weather are known then, so no feature may depend on the departure itself.
- Metric: ROC AUC as the headline, because the desk reads a ranked list from the top, with
  average precision next to it because late flights are only about a quarter of all flights.

## 2026-11 Data
- Kept the shipped extraction: cancelled flights are dropped because the desk handles them
  through a different process that starts much earlier in the day.
- Rows with a missing aircraft record are kept and imputed, because whole airlines would
  otherwise disappear from the list the desk reads.

## 2026-11 Models tried
- Logistic regression: shipped; its coefficients can be explained to the duty managers.
- Gradient boosting: no better on the forward folds, and harder to explain to the desk.
- A small neural network: similar ranking quality, slower to train; not shipped.

## 2026-11 What failed
- The month as a feature looked useful in training but lowered the test score, because the
  test months never appear in training; removed and documented in the config.
- A random split overstated the score; the forward split is the one the desk will live with.

## 2026-11 Evaluation
- Five forward folds on the training months, reported as mean and spread, because one test
  period is a single autumn and a storm week can move its score by a point.
- The quality gate stays at ROC AUC 0.64 with a 0.10 lift: below that the list is barely
  better than the manual check the desk does today.
- The threshold is chosen on the folds and then lowered by hand when the desk asks for more
  recall, which is a business decision recorded here rather than a modelling one.
- Calibration is checked with the Brier score, because the desk reads the probability itself.

## Next
- Replace the observed weather with the forecast issued three hours before departure.
- Add the inbound aircraft's delay once the airline shares its rotation data.
"""

CARD = """
## Intended use (the operations desk)
- For: ranking the next bank of departures by risk for a duty manager, who decides.
- Not for: telling passengers their flight will be late, or judging airlines or crews.
- Users: the Newark operations desk; the duty manager reviews the list each bank.

## Limitations found while adapting
- Trained on one year; the rotation of aircraft (the main cause of knock-on delays) is unknown.
- Observed weather stands in for the forecast; the desk will see slightly worse rankings.
- Airports that were never a destination in training get no weight of their own.
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
    assert "hub-control team" in readme
    assert "TODO(you)" not in readme


def test_the_model_card_says_who_must_not_use_it():
    card = (ROOT / "MODEL_CARD.md").read_text()
    assert "Not for" in card
    assert "rotation" in card


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
    _git(dest, "commit", "-m", "State the operations desk's problem")
    (dest / "docs").mkdir(exist_ok=True)
    (dest / "docs" / "decisions.md").write_text(DECISIONS, encoding="utf-8")
    card = dest / "MODEL_CARD.md"
    card.write_text(card.read_text(encoding="utf-8") + CARD, encoding="utf-8")
    (dest / "tests" / "code" / "test_my_decisions.py").write_text(OWN_TEST, encoding="utf-8")
    config = dest / "configs" / "train.yaml"
    if config.is_file():  # the training pipeline: a stronger penalty, as the log decides
        config.write_text(config.read_text(encoding="utf-8").replace(
            "    C: 1.0", "    C: 0.5                      # docs/decisions.md: a simpler, "
            "explainable model"), encoding="utf-8")
    # The numbers: README and model card tables and reports/metrics.json, from a fresh run.
    subprocess.run(["make", "metrics", f"PYTHON={sys.executable}"], cwd=dest, check=True,
                   capture_output=True)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-m", "Decision log, limitations and tests of my own")
    return dest
