"""The pipeline: config -> data -> validate -> features -> train -> evaluate -> artifact.

``run_pipeline`` is the one entry point; the CLI and the tests both call it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import joblib
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from . import __version__
from .config import PipelineConfig
from .data import load_validated
from .evaluate import GateResult, baseline_metrics, evaluate, quality_gate
from .features import build_preprocessor, split_xy

ESTIMATORS = {"logistic_regression": LogisticRegression, "random_forest": RandomForestClassifier,
              "neural_network": MLPClassifier}
# A small neural network: two hidden layers, and early stopping on a held-out fifth of the
# training rows so it stops before it memorises them. On a few hundred rows that held-out
# set is small and noisy, so it waits 50 epochs without improvement before it stops (with
# the default 10 it stopped at F1 0.83 on the penguins; with 50, 0.97). Inputs are already
# standardised by the preprocessor, which gradient descent needs. Override in model.params.
NEURAL_NETWORK_DEFAULTS = {"hidden_layer_sizes": (32, 16), "early_stopping": True,
                           "validation_fraction": 0.2, "n_iter_no_change": 50,
                           "learning_rate_init": 3e-3, "max_iter": 1000, "alpha": 1e-3}


@dataclass(frozen=True)
class RunResult:
    version: str
    artifact_dir: Path
    metrics: dict
    gate: GateResult
    mlflow_run_id: str | None


def build_model(config: PipelineConfig) -> Pipeline:
    """Preprocessing and estimator in one object, so serving cannot skip a step."""
    params = dict(config.model.params)
    if config.model.kind in ("random_forest", "neural_network"):
        params.setdefault("random_state", config.split.seed)
    if config.model.kind == "neural_network":
        params = {**NEURAL_NETWORK_DEFAULTS, **params}
    estimator = ESTIMATORS[config.model.kind](**params)
    return Pipeline([("features", build_preprocessor(config.data)), ("model", estimator)])


def artifact_version(config: PipelineConfig, frame: pd.DataFrame) -> str:
    """A sortable, content-addressed version: UTC time + hash of config and data."""
    digest = hashlib.sha256(config.model_dump_json().encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest.hexdigest()[:8]}"


def run_pipeline(config: PipelineConfig) -> RunResult:
    """Train, evaluate, gate, save a versioned artifact and (optionally) log to MLflow."""
    frame = load_validated(config.data)
    features, target = split_xy(frame, config.data)
    train_x, test_x, train_y, test_y = train_test_split(
        features, target, test_size=config.split.test_size,
        random_state=config.split.seed, stratify=target,
    )
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=config.split.seed)
    cv_scores = cross_val_score(build_model(config), train_x, train_y, cv=folds, scoring="f1_macro")
    model = build_model(config).fit(train_x, train_y)
    metrics = evaluate(model, test_x, test_y)
    baseline = baseline_metrics(train_x, train_y, test_x, test_y)
    gate = quality_gate(metrics, baseline, config.quality_gate)
    version = artifact_version(config, frame)
    metrics.update(
        version=version,
        cv_f1_macro_mean=round(float(cv_scores.mean()), 4),
        cv_f1_macro_std=round(float(cv_scores.std()), 4),
        baseline_accuracy=baseline["accuracy"],
        baseline_f1_macro=baseline["f1_macro"],
        quality_gate_passed=gate.passed,
        n_train=len(train_x),
        n_test=len(test_x),
    )
    artifact_dir = save_artifact(config, model, metrics, version, train_x, promote=gate.passed)
    run_id = None
    if config.tracking.enabled:
        from .tracking import log_run

        params = {"model_kind": config.model.kind, **config.model.params,
                  "test_size": config.split.test_size, "seed": config.split.seed}
        run_id = log_run(config.tracking, params=params, metrics=metrics, model=model,
                         artifact_dir=artifact_dir)
    return RunResult(version, artifact_dir, metrics, gate, run_id)


def save_artifact(
    config: PipelineConfig,
    model: Pipeline,
    metrics: dict,
    version: str,
    train_x: pd.DataFrame,
    *,
    promote: bool,
) -> Path:
    """Write ``<artifacts>/<version>/`` (model.joblib, metrics.json, metadata.json).

    Only a model that passed the quality gate is promoted: ``LATEST``, which the services
    load, then names it. A rejected model is still saved, for inspection, but never served.
    """
    root = Path(config.output.artifacts_dir)
    artifact_dir = root / version
    artifact_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, artifact_dir / "model.joblib")
    (artifact_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    metadata = {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline_version": __version__,
        "model_kind": config.model.kind,
        "target": config.data.target,
        "classes": [str(c) for c in model.classes_],
        "numeric_features": config.data.numeric_features,
        "categorical_features": config.data.categorical_features,
        "config": json.loads(config.model_dump_json()),
        "promoted": promote,
    }
    (artifact_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    train_x.to_csv(artifact_dir / "reference.csv", index=False)
    if promote:
        (root / "LATEST").write_text(version + "\n")
    return artifact_dir
