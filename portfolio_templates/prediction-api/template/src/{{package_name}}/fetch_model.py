"""Fetch the training pipeline's champion from its MLflow model registry (``make fetch-model``).

The training pipeline logs each run's artifact folder under ``artifact/`` and registers the
logged model; promoting a version is setting an alias on it (``champion``). This resolves
the alias to a model version, downloads that run's ``artifact/`` folder, checks that its
model file is the one its metadata vouches for, and only then replaces ``--output``, in one
rename: a failed or interrupted fetch leaves the model that was there.

    python -m <package>.fetch_model --tracking-uri sqlite:///../my-pipeline/mlflow.db \\
        --model flight-delays --alias champion --output artifacts/model

Needs MLflow (``pip install -e ".[registry]"``), which the service image does not: the
image serves the folder this writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

REQUIRED = ("model.joblib", "metadata.json")


class FetchError(RuntimeError):
    """The registry has no such model or alias, or what it holds is not a servable artifact."""


def fetch_model(*, tracking_uri: str, model: str, alias: str, output: Path) -> Path:
    """Download the artifact folder of ``model@alias`` into ``output``; return ``output``."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow  # imported here: slow to import, and only this command needs it
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    try:
        version = client.get_model_version_by_alias(model, alias)
    except MlflowException as exc:
        raise FetchError(
            f"no version of model {model!r} has the alias {alias!r} in {tracking_uri}: "
            f"promote one in the training pipeline first ({exc.message})"
        ) from exc
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".fetch-") as tmp:
        try:
            folder = mlflow.artifacts.download_artifacts(
                run_id=version.run_id,
                artifact_path="artifact",
                dst_path=tmp,
                tracking_uri=tracking_uri,
            )
        except MlflowException as exc:
            raise FetchError(
                f"run {version.run_id} of {model} version {version.version} has no artifact/ "
                f"folder: was it logged by the training pipeline? ({exc.message})"
            ) from exc
        verify(Path(folder))
        _replace(Path(folder), output)
    return output


def verify(folder: Path) -> None:
    """The folder has a model and metadata, and the model is the one the metadata names."""
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise FetchError(f"the fetched artifact lacks {', '.join(missing)}")
    expected = json.loads((folder / "metadata.json").read_text()).get("model_sha256")
    actual = hashlib.sha256((folder / "model.joblib").read_bytes()).hexdigest()
    if actual != expected:
        raise FetchError(
            f"the fetched model.joblib (sha256 {actual[:12]}...) is not the one its metadata "
            f"records ({str(expected)[:12]}...): refusing to install it"
        )


def _replace(new: Path, output: Path) -> None:
    """Swap ``new`` in for ``output`` with renames on the same file system."""
    staged = output.with_name(f".{output.name}.new")
    old = output.with_name(f".{output.name}.old")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    shutil.move(str(new), staged)
    if output.exists():
        output.rename(old)
    staged.rename(output)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description="Fetch a model artifact from MLflow.")
    parser.add_argument(
        "--tracking-uri", required=True, help="e.g. sqlite:///../my-pipeline/mlflow.db"
    )
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--alias", default="champion")
    parser.add_argument("--output", type=Path, default=Path("artifacts/model"))
    args = parser.parse_args(argv)
    try:
        out = fetch_model(
            tracking_uri=args.tracking_uri, model=args.model, alias=args.alias, output=args.output
        )
    except FetchError as exc:
        raise SystemExit(f"error: {exc}") from None
    metadata = json.loads((out / "metadata.json").read_text())
    print(f"{args.model}@{args.alias}: artifact {metadata['version']} written to {out}")
    return out


if __name__ == "__main__":
    main()
