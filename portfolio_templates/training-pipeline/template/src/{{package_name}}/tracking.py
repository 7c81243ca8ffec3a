"""Record a run in MLflow (a local sqlite store by default: no server, no cloud account)."""

from __future__ import annotations

import os
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


def log_run(
    tracking: TrackingConfig, *, params: dict, metrics: dict, model, artifact_dir: Path
) -> str:
    """Log params, flat metrics, the artifact folder and the model; return the MLflow run id."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow  # imported here: it is slow to import and only this step needs it
    import mlflow.sklearn

    mlflow.set_tracking_uri(tracking.uri)
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
        mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=PIP_REQUIREMENTS,
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
        )
        return run.info.run_id
