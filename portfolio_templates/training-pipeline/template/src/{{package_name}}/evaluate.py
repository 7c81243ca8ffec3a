"""Score a model against held-out data and against a baseline that needs no learning.

A metric alone says little: 0.9 accuracy is poor if always guessing the majority class
scores 0.85. The quality gate therefore asks for an absolute floor *and* a lift over the
majority-class baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from .config import QualityGateConfig


def evaluate(model, features: pd.DataFrame, target: pd.Series) -> dict:
    """Return accuracy, macro F1, per-class F1 and the confusion matrix on this data."""
    predicted = model.predict(features)
    labels = sorted(target.unique())
    per_class = f1_score(target, predicted, labels=labels, average=None)
    return {
        "accuracy": round(float(accuracy_score(target, predicted)), 4),
        "f1_macro": round(float(f1_score(target, predicted, average="macro")), 4),
        "f1_per_class": {lab: round(float(s), 4) for lab, s in zip(labels, per_class, strict=True)},
        "confusion_matrix": {
            "labels": labels,
            "matrix": confusion_matrix(target, predicted, labels=labels).tolist(),
        },
    }


def baseline_metrics(
    train_x: pd.DataFrame, train_y: pd.Series, test_x: pd.DataFrame, test_y: pd.Series
) -> dict:
    """Metrics of a majority-class classifier: the score a model must clearly beat."""
    dummy = DummyClassifier(strategy="most_frequent").fit(train_x, train_y)
    return evaluate(dummy, test_x, test_y)


@dataclass(frozen=True)
class GateResult:
    passed: bool
    metric: str
    value: float
    baseline: float
    reasons: tuple[str, ...]


def quality_gate(metrics: dict, baseline: dict, gate: QualityGateConfig) -> GateResult:
    """Decide whether this model may be shipped; ``reasons`` explains a refusal."""
    value, base = metrics[gate.metric], baseline[gate.metric]
    reasons = []
    if value < gate.min_value:
        reasons.append(f"{gate.metric}={value:.3f} is below the floor {gate.min_value:.3f}")
    if value - base < gate.min_lift_over_baseline:
        reasons.append(
            f"{gate.metric}={value:.3f} beats the baseline {base:.3f} by less than "
            f"{gate.min_lift_over_baseline:.3f}"
        )
    return GateResult(not reasons, gate.metric, value, base, tuple(reasons))
