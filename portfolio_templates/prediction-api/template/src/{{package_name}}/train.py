"""Build a model artifact from data that ships offline (``make model``).

The service does not need this module in production: point ``API_ARTIFACT_DIR`` at any
artifact the training pipeline produced. It exists so a fresh clone (and the tests) can
create a real artifact without a committed binary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import joblib
from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island", "sex"]
TARGET = "species"
SEED = 42


def build_model() -> Pipeline:
    preprocess = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                CATEGORICAL,
            ),
        ]
    )
    return Pipeline([("features", preprocess), ("model", LogisticRegression(max_iter=1000))])


def train_model(output_dir: Path) -> Path:
    """Train on a seeded split, write model.joblib, metadata.json and reference.csv."""
    frame = load_penguins().dropna(subset=[TARGET])
    features, target = frame[NUMERIC + CATEGORICAL], frame[TARGET]
    train_x, test_x, train_y, test_y = train_test_split(
        features, target, test_size=0.25, random_state=SEED, stratify=target
    )
    model = build_model().fit(train_x, train_y)
    predicted = model.predict(test_x)
    metrics = {
        "accuracy": round(float(accuracy_score(test_y, predicted)), 4),
        "f1_macro": round(float(f1_score(test_y, predicted, average="macro")), 4),
    }
    digest = hashlib.sha256(joblib.hash(model).encode()).hexdigest()[:8]
    output_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, output_dir / "model.joblib")
    metadata = {
        "version": f"penguins-logreg-{digest}",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "target": TARGET,  # what the model predicts (a drift job watches its class shares)
        "classes": [str(c) for c in model.classes_],
        "numeric_features": NUMERIC,
        "categorical_features": CATEGORICAL,
        "metrics": metrics,
        "model_sha256": hashlib.sha256((output_dir / "model.joblib").read_bytes()).hexdigest(),
    }
    (output_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    train_x.to_csv(output_dir / "reference.csv", index=False)
    return output_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("artifacts/model"))
    out = train_model(parser.parse_args().output)
    print(f"model artifact written to {out}")


if __name__ == "__main__":
    main()
