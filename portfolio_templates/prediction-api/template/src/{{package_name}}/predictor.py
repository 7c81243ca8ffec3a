"""Load a model artifact and turn validated requests into predictions.

An artifact is a folder with ``model.joblib`` (a scikit-learn Pipeline that accepts the raw
feature columns) and ``metadata.json``: the same layout the training pipeline writes to
``artifacts/<version>/``, so either can be served.

Loading a pickle runs code, so the model file is checked against the ``model_sha256`` its
metadata records *before* it is unpickled: a swapped or corrupted file is refused, not run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import joblib
import pandas as pd

from .schemas import PenguinFeatures, Prediction


class ArtifactError(RuntimeError):
    """The artifact folder is missing or incomplete; the message says how to create one."""


class Classifier(Protocol):
    """What the service needs from a model: a scikit-learn classifier (or Pipeline)."""

    classes_: Any

    def predict_proba(self, frame: pd.DataFrame) -> Any: ...


@dataclass
class Predictor:
    model: Classifier
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
        return cls(joblib.load(model_file), metadata)

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def features(self) -> list[str]:
        return [*self.metadata["numeric_features"], *self.metadata["categorical_features"]]

    def predict(self, rows: list[PenguinFeatures]) -> list[Prediction]:
        frame = pd.DataFrame([row.model_dump() for row in rows])[self.features]
        probabilities = self.model.predict_proba(frame)
        classes = [str(c) for c in self.model.classes_]
        return [
            Prediction(
                species=classes[int(p.argmax())],
                probabilities={c: round(float(v), 4) for c, v in zip(classes, p, strict=True)},
            )
            for p in probabilities
        ]
