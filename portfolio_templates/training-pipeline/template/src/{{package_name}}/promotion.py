"""Which model is served: the quality gate first, then champion against challenger.

A model that fails the gate is never registered. A gated model is compared with the
registry's ``champion`` on the *current* test rows (both score the same rows), and replaces
it only when a paired bootstrap (bootstrap.py) says it is better by more than
``promotion.min_improvement`` with ``promotion.confidence``; otherwise it becomes the
``challenger`` and the champion stays. On a few thousand test rows a gain of 0.005 ROC AUC
is often noise: a point estimate alone would let the served model flip back and forth
between equally good models, each switch a change that must be watched in production.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .artifact import load_verified
from .bootstrap import Comparison, paired_bootstrap
from .config import PipelineConfig
from .evaluate import GateResult, positive_scores
from .tracking import CHALLENGER, CHAMPION, download_champion

REJECTED = "rejected"
SCORED_ON_PROBABILITIES = {"roc_auc", "average_precision", "brier"}


@dataclass(frozen=True)
class Promotion:
    decision: str  # champion (served, LATEST names it), challenger, or rejected (by the gate)
    reason: str
    champion_version: str | None = None  # the registry version it was compared with
    champion_artifact: str | None = None  # that champion's artifact version
    comparison: Comparison | None = None
    min_improvement: float = 0.0

    @property
    def promote(self) -> bool:
        return self.decision == CHAMPION

    def as_dict(self) -> dict:
        """The record for metrics.json and metadata.json."""
        found = {k: v for k, v in asdict(self).items() if k != "comparison"}
        if self.comparison is not None:
            numbers = asdict(self.comparison)
            for key in ("difference", "lower", "upper"):
                numbers[key] = round(numbers[key], 5)
            found |= numbers
        return found

    def line(self) -> str:
        """One line for the CLI: the decision, and the numbers it rests on."""
        return f"promotion: {self.decision.upper()}: {self.reason}"


def scored_values(model, rows: pd.DataFrame, metric: str) -> np.ndarray:
    """What ``metric`` scores: positive-class probabilities, or the predictions."""
    if metric in SCORED_ON_PROBABILITIES:
        return positive_scores(model, rows)
    return np.asarray(model.predict(rows))


def choose(
    config: PipelineConfig, gate: GateResult, model, test_rows: pd.DataFrame, test_y: pd.Series
) -> Promotion:
    """Decide what this model becomes. ``test_rows``: the test period with all its columns,
    so a champion trained on other features is scored on the same rows."""
    if not gate.passed:
        return Promotion(REJECTED, "the quality gate failed: saved for inspection, not served")
    if not config.tracking.enabled:
        return Promotion(
            CHAMPION, "tracking is off, so no registry comparison was made: the gate alone decides"
        )
    with tempfile.TemporaryDirectory() as folder:
        champion = download_champion(config.tracking, Path(folder))
        if champion is None:
            return Promotion(
                CHAMPION, f"the first gated model in the registry '{config.tracking.model_name}'"
            )
        old_model, metadata = load_verified(champion.artifact_dir)
    version, artifact = champion.version, str(metadata["version"])
    features = [*metadata["numeric_features"], *metadata["categorical_features"]]
    missing = sorted(set(features) - set(test_rows.columns))
    if missing:
        return Promotion(
            CHALLENGER,
            f"champion v{champion.version} needs columns the current rows lack ({missing}), so "
            "it cannot be compared: the champion stays; move the alias in MLflow to replace it",
            champion_version=version,
            champion_artifact=artifact,
        )
    metric, bar = gate.metric, config.promotion
    comparison = paired_bootstrap(
        metric,
        test_y,
        scored_values(old_model, test_rows[features], metric),
        scored_values(model, test_rows[config.data.features], metric),
        resamples=bar.resamples,
        confidence=bar.confidence,
        seed=bar.seed,
    )
    wins = comparison.lower > bar.min_improvement
    return Promotion(
        CHAMPION if wins else CHALLENGER,
        _explain(comparison, version, bar.min_improvement, wins),
        champion_version=version,
        champion_artifact=artifact,
        comparison=comparison,
        min_improvement=bar.min_improvement,
    )


def _explain(c: Comparison, version: str, needed: float, wins: bool) -> str:
    verdict = (
        f"replaces champion v{version}" if wins else f"champion v{version} stays (not clearly better)"
    )
    relation = "above" if wins else "not above"
    return (
        f"{verdict}: {c.metric} {c.difference:+.4f} vs the champion on the same {c.n_test} "
        f"test rows; one-sided {c.confidence:.0%} lower bound {c.lower:+.4f} is {relation} the "
        f"required {needed:+.4f} ({2 * c.confidence - 1:.0%} interval "
        f"[{c.lower:+.4f}, {c.upper:+.4f}], {c.resamples} paired bootstrap resamples)"
    )
