"""Record a run in MLflow (a local sqlite store by default: no server, no cloud account), and
keep the model registry's two aliases: ``champion`` (the model served) and ``challenger``
(the latest gated model that did not clearly beat it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .config import TrackingConfig

PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "pandas==3.1.1", "numpy==2.4.6", "skops==0.16.0"]
# MLflow saves sklearn models with skops, which only loads types it is told to trust: these
# are the ones the model kinds in config.py need (found with skops.io.get_untrusted_types;
# tests/code/test_tracking.py checks every kind). Add to the list only types you know.
SKOPS_TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn.tree._tree.Tree",  # random_forest
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",  # neural_network
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",  # hist_gradient_boosting
    "sklearn.utils.validation.check_array",  # hist_gradient_boosting
    "functools.partial",  # hist_gradient_boosting
]


CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    model_version: str | None  # the registry's version; None when the model was not registered


@dataclass(frozen=True)
class Champion:
    version: str  # the registry's version number
    artifact_dir: Path  # its run's artifact/ folder, downloaded


def _mlflow(tracking: TrackingConfig):
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow  # imported here: it is slow to import and only tracking needs it

    mlflow.set_tracking_uri(tracking.uri)
    return mlflow


def download_champion(tracking: TrackingConfig, dest: Path) -> Champion | None:
    """The registry's current champion with its artifact folder copied into ``dest``;
    None when no model has been registered under ``tracking.model_name`` or none is champion."""
    mlflow = _mlflow(tracking)
    from mlflow.exceptions import MlflowException

    try:
        found = mlflow.MlflowClient().get_model_version_by_alias(tracking.model_name, CHAMPION)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise
    path = mlflow.artifacts.download_artifacts(
        run_id=found.run_id, artifact_path="artifact", dst_path=str(dest)
    )
    return Champion(str(found.version), Path(path))


def set_alias(tracking: TrackingConfig, version: str, alias: str, tags: dict) -> None:
    """Point ``alias`` at ``version`` and record why on the version. A new champion also
    clears the challenger alias: that model lost to the old champion and is now stale."""
    client = _mlflow(tracking).MlflowClient()
    name = tracking.model_name
    if alias == CHAMPION and CHALLENGER in client.get_registered_model(name).aliases:
        client.delete_registered_model_alias(name, CHALLENGER)
    client.set_registered_model_alias(name, alias, version)
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, str(value))


def describe_aliases(tracking: TrackingConfig) -> list[str]:
    """One line per alias: which registry version and artifact is champion / challenger."""
    mlflow = _mlflow(tracking)
    from mlflow.exceptions import MlflowException

    client, name = mlflow.MlflowClient(), tracking.model_name
    try:
        aliases = client.get_registered_model(name).aliases
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        aliases = {}
    if not aliases:
        return [f"no champion registered as '{name}' in {tracking.uri} yet: run `make train`"]
    lines = []
    for alias in (CHAMPION, CHALLENGER):
        if alias in aliases:
            found = client.get_model_version(name, str(aliases[alias]))
            artifact = client.get_run(found.run_id).data.tags.get("artifact_version")
            why = found.tags.get("reason", "")
            lines.append(f"{alias}: {name} version {found.version}, artifact {artifact}; {why}")
    return lines


def log_run(
    tracking: TrackingConfig,
    *,
    params: dict,
    metrics: dict,
    model,
    artifact_dir: Path,
    register: bool = False,
) -> LoggedRun:
    """Log params, flat metrics, the artifact folder and the model (registered under
    ``tracking.model_name`` when ``register``: only gated models are)."""
    mlflow = _mlflow(tracking)
    from mlflow import sklearn as mlflow_sklearn

    experiment = mlflow.get_experiment_by_name(tracking.experiment)
    if experiment is None:
        location = Path(tracking.artifact_location).resolve().as_uri()
        experiment_id = mlflow.create_experiment(tracking.experiment, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    with mlflow.start_run(experiment_id=experiment_id, run_name=artifact_dir.name) as run:
        mlflow.log_params(params)
        mlflow.log_metrics({k: v for k, v in metrics.items() if isinstance(v, int | float)})
        mlflow.set_tag("artifact_version", artifact_dir.name)
        mlflow.log_artifacts(str(artifact_dir), artifact_path="artifact")
        info = mlflow_sklearn.log_model(
            model,
            name="model",
            pip_requirements=PIP_REQUIREMENTS,
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            registered_model_name=tracking.model_name if register else None,
        )
        version = info.registered_model_version
        return LoggedRun(run.info.run_id, None if version is None else str(version))
