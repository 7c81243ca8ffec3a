"""The versioned artifact: what was trained, on what, with what, and whether it may be served.

``<artifacts>/<version>/`` holds model.joblib, metrics.json, metadata.json and reference.csv
(the training features, for drift checks later). ``LATEST``, which services load, names
the champion only: a model that passed the quality gate and, when a registry is used, beat
the previous champion clearly (promotion.py). Every other model is still saved, for
inspection, but never served. metadata.json carries the data contract, so a service can
build and check its request schema from the artifact alone.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import joblib
import pandas as pd

from . import __version__
from .config import PipelineConfig

LIBRARIES = ("scikit-learn", "pandas", "numpy", "joblib", "mlflow")


class ArtifactError(RuntimeError):
    """An artifact is missing or does not match its metadata; the message says what to do."""


def artifact_version(config: PipelineConfig, frame: pd.DataFrame) -> str:
    """A sortable, content-addressed version: UTC time + hash of config and data."""
    digest = hashlib.sha256(config.model_dump_json().encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{digest.hexdigest()[:8]}"


def git_commit() -> str | None:
    """The commit of the code that trained the model (None outside a git checkout)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def library_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_artifact(
    config: PipelineConfig,
    model,
    metrics: dict,
    version: str,
    train_x: pd.DataFrame,
    *,
    split: dict,
    promote: bool,
    promotion: dict | None = None,
) -> Path:
    """Write ``<artifacts>/<version>/`` and move ``LATEST`` to it only when ``promote``."""
    root = Path(config.output.artifacts_dir)
    artifact_dir = root / version
    artifact_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, artifact_dir / "model.joblib")
    (artifact_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    metadata = {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline_version": __version__,
        "task": config.task,
        "model_kind": config.model.kind,
        "target": config.data.target,
        "classes": [str(c) for c in getattr(model, "classes_", [])],
        "threshold": metrics.get("threshold"),
        "numeric_features": config.data.numeric_features,
        "categorical_features": config.data.categorical_features,
        "split": split,
        "git_commit": git_commit(),
        "libraries": library_versions(),
        "model_sha256": sha256(artifact_dir / "model.joblib"),
        "config": json.loads(config.model_dump_json()),
        "contract": json.loads(config.data.contract.model_dump_json()),
        "promoted": promote,
        "promotion": promotion,
    }
    (artifact_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    train_x.to_csv(artifact_dir / "reference.csv", index=False)
    if promote:
        (root / "LATEST").write_text(version + "\n")
    return artifact_dir


def load_verified(artifact_dir: Path):
    """The model in ``artifact_dir`` and its metadata, unpickled only after its SHA-256
    matches the ``model_sha256`` the metadata records (loading a pickle runs code)."""
    model_file, meta_file = artifact_dir / "model.joblib", artifact_dir / "metadata.json"
    if not model_file.is_file() or not meta_file.is_file():
        raise ArtifactError(
            f"no model.joblib and metadata.json in {artifact_dir}: the registry's champion "
            "has no artifact; train again with tracking on (`make train`)"
        )
    metadata = json.loads(meta_file.read_text())
    expected, actual = metadata.get("model_sha256"), sha256(model_file)
    if actual != expected:
        raise ArtifactError(
            f"{model_file} does not match the model_sha256 in its metadata ({actual[:12]}... "
            f"vs {str(expected)[:12]}...): refusing to unpickle it; move the champion alias "
            "to a trusted version in MLflow, or delete it and train again"
        )
    return joblib.load(model_file), metadata
