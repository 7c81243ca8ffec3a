"""Score a model on held-out rows and against a baseline that needs no learning.

A metric alone says little: 0.77 accuracy is poor when always answering "on time" scores
0.77. Every number is therefore reported next to the baseline's, and the quality gate asks
for an absolute bar *and* a margin over that baseline.

* Two classes: ROC AUC (ranking), average precision (ranking that focuses on the rare
  positives), Brier score (are the probabilities right?), and F1 / precision / recall at the
  chosen threshold. The baseline predicts the training prevalence for every row: its ROC
  AUC is exactly 0.5 and its average precision is the test prevalence.
* More classes: accuracy and macro F1; the baseline answers the majority class.
* Regression: MAE, RMSE and R²; the baseline predicts the training median.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_curve,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from .config import QualityGateConfig


def _r(value: float) -> float:
    return round(float(value), 4)


def is_binary(target: pd.Series) -> bool:
    return target.nunique() == 2


def positive_scores(model, features: pd.DataFrame) -> np.ndarray:
    """Probability of the positive class (the larger label, e.g. 1 = late)."""
    return model.predict_proba(features)[:, 1]


def binary_metrics(target: pd.Series, scores: np.ndarray, threshold: float) -> dict:
    predicted = (scores >= threshold).astype(int)
    positive = (np.asarray(target) == max(target.unique())).astype(int)
    return {
        "roc_auc": _r(roc_auc_score(positive, scores)) if positive.min() != positive.max() else 0.5,
        "average_precision": _r(average_precision_score(positive, scores)),
        "brier": _r(brier_score_loss(positive, scores)),
        "threshold": _r(threshold),
        "f1": _r(f1_score(positive, predicted, zero_division=0)),
        "precision": _r(precision_score(positive, predicted, zero_division=0)),
        "recall": _r(recall_score(positive, predicted, zero_division=0)),
        "accuracy": _r(accuracy_score(positive, predicted)),
        "positive_rate": _r(positive.mean()),
    }


def multiclass_metrics(target: pd.Series, predicted) -> dict:
    labels = sorted(target.unique())
    per_class = f1_score(target, predicted, labels=labels, average=None, zero_division=0)
    return {
        "accuracy": _r(accuracy_score(target, predicted)),
        "f1_macro": _r(f1_score(target, predicted, average="macro", zero_division=0)),
        "f1_per_class": {str(lab): _r(s) for lab, s in zip(labels, per_class, strict=True)},
    }


def regression_metrics(target: pd.Series, predicted) -> dict:
    return {
        "mae": _r(mean_absolute_error(target, predicted)),
        "rmse": _r(np.sqrt(mean_squared_error(target, predicted))),
        "r2": _r(r2_score(target, predicted)),
    }


def evaluate(
    model, features: pd.DataFrame, target: pd.Series, *, task: str, threshold: float = 0.5
) -> dict:
    """The task's metrics for ``model`` on these rows."""
    if task == "regression":
        return regression_metrics(target, model.predict(features))
    if is_binary(target) and hasattr(model, "predict_proba"):
        return binary_metrics(target, positive_scores(model, features), threshold)
    return multiclass_metrics(target, model.predict(features))


def baseline_model(task: str):
    """What a model must clearly beat: the training prevalence / majority class, or the
    training median (which minimises absolute error when nothing else is known)."""
    if task == "regression":
        return DummyRegressor(strategy="median")
    return DummyClassifier(strategy="prior")


def baseline_metrics(task: str, train_x, train_y, test_x, test_y) -> dict:
    dummy = baseline_model(task).fit(train_x, train_y)
    if task == "classification" and is_binary(train_y):
        # The constant probability never reaches a sensible threshold: it answers "no" to all.
        return evaluate(dummy, test_x, test_y, task=task, threshold=float(train_y.mean()) + 1e-9)
    return evaluate(dummy, test_x, test_y, task=task)


def best_f1_threshold(target: np.ndarray, scores: np.ndarray) -> float:
    """The probability cut-off with the highest F1 on these (out-of-fold) predictions."""
    precision, recall, thresholds = precision_recall_curve(target, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])


@dataclass(frozen=True)
class GateResult:
    passed: bool
    metric: str
    value: float
    baseline: float
    reasons: tuple[str, ...]


def quality_gate(metrics: dict, baseline: dict, gate: QualityGateConfig) -> GateResult:
    """Decide whether this model may be shipped; ``reasons`` explains a refusal."""
    name, value, base = gate.metric, metrics[gate.metric], baseline[gate.metric]
    sign = -1.0 if gate.lower_is_better else 1.0
    lift = sign * (value - base)  # > 0: better than the baseline
    reasons = []
    if gate.min_value is not None and value < gate.min_value:
        reasons.append(f"{name}={value:.3f} is below the floor {gate.min_value:.3f}")
    if gate.max_value is not None and value > gate.max_value:
        reasons.append(f"{name}={value:.3f} is above the ceiling {gate.max_value:.3f}")
    if lift < gate.min_lift_over_baseline or lift <= 0:
        reasons.append(
            f"{name}={value:.3f} beats the baseline {base:.3f} by less than "
            f"{gate.min_lift_over_baseline:.3f}"
        )
    needed = gate.min_improvement_over_baseline * abs(base)
    if gate.min_improvement_over_baseline and lift < needed:
        reasons.append(
            f"{name}={value:.3f} improves on the baseline {base:.3f} by "
            f"{lift / abs(base):.1%}, less than the "
            f"{gate.min_improvement_over_baseline:.0%} required"
        )
    return GateResult(not reasons, name, value, base, tuple(reasons))
