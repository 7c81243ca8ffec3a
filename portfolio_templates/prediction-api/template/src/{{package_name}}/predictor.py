"""Load a model artifact and turn validated requests into predictions.

An artifact is a folder with ``model.joblib`` (a scikit-learn Pipeline that accepts the raw
feature columns; for two classes a ``FixedThresholdClassifier``, so ``predict`` applies the
tuned threshold) and ``metadata.json`` (task, classes, threshold, features...): the layout
the training pipeline writes to ``artifacts/<version>/`` and logs to MLflow, so its champion
can be served (``make fetch-model``). An artifact for other features than the API accepts
is refused at load time.

Loading a pickle runs code, so the model file is checked against the ``model_sha256`` its
metadata records *before* it is unpickled: a swapped or corrupted file is refused, not run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import joblib
import pandas as pd

from .schemas import Features, ModelOutput, Prediction


class ArtifactError(RuntimeError):
    """The artifact folder is missing, incomplete or not for this service; the message says
    how to get a right one."""


class Model(Protocol):
    """What the service needs from a model: a fitted scikit-learn estimator (or Pipeline)
    that takes the raw feature columns. ``classes_`` and ``predict_proba``: classifiers only."""

    classes_: Any

    def predict(self, frame: pd.DataFrame) -> Any: ...

    def predict_proba(self, frame: pd.DataFrame) -> Any: ...


@dataclass
class Predictor:
    model: Model
    metadata: dict

    @classmethod
    def load(cls, artifact_dir: Path) -> Predictor:
        model_file, meta_file = artifact_dir / "model.joblib", artifact_dir / "metadata.json"
        if not model_file.is_file() or not meta_file.is_file():
            raise ArtifactError(
                f"no model artifact in {artifact_dir}: run `make model` "
                "or set API_ARTIFACT_DIR to a folder with model.joblib and metadata.json"
            )
        metadata = json.loads(meta_file.read_text())
        metrics_file = artifact_dir / "metrics.json"
        if "metrics" not in metadata and metrics_file.is_file():  # a training-pipeline artifact
            raw = json.loads(metrics_file.read_text())
            numbers = {k: v for k, v in raw.items() if isinstance(v, int | float)}
            metadata["metrics"] = {k: v for k, v in numbers.items() if not isinstance(v, bool)}
        expected = metadata.get("model_sha256")
        if expected is None:
            raise ArtifactError(
                f"{meta_file} records no model_sha256: refusing to unpickle a model file that "
                "nothing vouches for; rebuild the artifact (`make model`)"
            )
        actual = hashlib.sha256(model_file.read_bytes()).hexdigest()
        if actual != expected:
            raise ArtifactError(
                f"{model_file} does not match its metadata (sha256 {actual[:12]}..., expected "
                f"{expected[:12]}...): it was replaced or corrupted after training; refusing "
                "to load it"
            )
        _check_features(metadata, meta_file)
        return cls(joblib.load(model_file), metadata)

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def features(self) -> list[str]:
        return [*self.metadata["numeric_features"], *self.metadata["categorical_features"]]

    @property
    def task(self) -> str:
        """classification or regression (artifacts older than the key are classifiers)."""
        return self.metadata.get("task", "classification")

    def predict(self, rows: Sequence[Features]) -> list[Prediction]:
        """One prediction per validated row, in order; a batch answers as rows sent alone."""
        return self.predict_frame(pd.DataFrame([row.model_dump() for row in rows]))

    def predict_frame(self, frame: pd.DataFrame) -> list[Prediction]:
        """Predictions for a table of feature columns (requests, or the training rows)."""
        frame = frame[self.features].copy()
        numeric = self.metadata["numeric_features"]
        frame[numeric] = frame[numeric].astype(float)  # None (unknown) -> NaN: imputed
        if self.task == "regression":
            values = self.model.predict(frame)
            return [Prediction.from_model(ModelOutput(value=float(v))) for v in values]
        labels = self.model.predict(frame)
        probabilities = self.model.predict_proba(frame)
        classes = [str(c) for c in self.model.classes_]
        threshold = self.metadata.get("threshold")
        return [
            Prediction.from_model(
                ModelOutput(
                    label=str(label),
                    probabilities={c: round(float(v), 4) for c, v in zip(classes, p, strict=True)},
                    threshold=threshold,
                )
            )
            for label, p in zip(labels, probabilities, strict=True)
        ]


def _check_features(metadata: dict, meta_file: Path) -> None:
    """Refuse an artifact whose model expects other columns than this API accepts."""
    expected = {*metadata.get("numeric_features", []), *metadata.get("categorical_features", [])}
    accepted = set(Features.model_fields)
    if expected != accepted:
        raise ArtifactError(
            f"{meta_file} is for a model with features {sorted(expected)}, but this service "
            f"accepts {sorted(accepted)}: fetch the artifact of the same problem, or change "
            "schemas.py to match the model (ADAPTING.md)"
        )
