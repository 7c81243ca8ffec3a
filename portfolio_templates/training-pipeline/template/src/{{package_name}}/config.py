"""The run configuration: one typed object, loaded from one YAML file.

Every default lives here, so a reader can see what a run depends on without
tracing flags through the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ConfigError(ValueError):
    """The config file is missing or invalid; the message names the field to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    source: Literal["palmerpenguins", "csv", "sqlite"] = "palmerpenguins"
    csv_path: Path | None = None
    sqlite_path: Path | None = None  # source sqlite: the database ...
    query_path: Path = Path("sql/training_rows.sql")  # ... and the query that extracts the rows
    target: str = "species"
    numeric_features: list[str] = Field(min_length=1)
    categorical_features: list[str] = Field(default_factory=list)
    max_missing_fraction: float = Field(default=0.05, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _csv_needs_path(self) -> DataConfig:
        if self.source == "csv" and self.csv_path is None:
            raise ValueError("data.csv_path is required when data.source is 'csv'")
        if self.source == "sqlite" and self.sqlite_path is None:
            raise ValueError("data.sqlite_path is required when data.source is 'sqlite'")
        return self

    @property
    def features(self) -> list[str]:
        return [*self.numeric_features, *self.categorical_features]


class SplitConfig(_Strict):
    test_size: float = Field(default=0.25, gt=0.0, lt=1.0)
    seed: int = 42


class ModelConfig(_Strict):
    kind: Literal["logistic_regression", "random_forest", "neural_network"] = "logistic_regression"
    params: dict[str, Any] = Field(default_factory=dict)


class QualityGateConfig(_Strict):
    metric: Literal["f1_macro", "accuracy"] = "f1_macro"
    min_value: float = Field(default=0.9, ge=0.0, le=1.0)
    min_lift_over_baseline: float = Field(default=0.3, ge=0.0, le=1.0)


class OutputConfig(_Strict):
    artifacts_dir: Path = Path("artifacts")


class TrackingConfig(_Strict):
    enabled: bool = True
    uri: str = "sqlite:///mlflow.db"
    experiment: str = "penguin-species"
    artifact_location: Path = Path("mlruns")


class PipelineConfig(_Strict):
    data: DataConfig
    split: SplitConfig = SplitConfig()
    model: ModelConfig = ModelConfig()
    quality_gate: QualityGateConfig = QualityGateConfig()
    output: OutputConfig = OutputConfig()
    tracking: TrackingConfig = TrackingConfig()


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
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path} is invalid: {problems}") from exc
