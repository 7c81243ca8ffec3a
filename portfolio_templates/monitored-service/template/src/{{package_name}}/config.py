"""Service settings: one typed object, read from environment variables prefixed ``API_``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the model lives, where predictions are logged, and the drift thresholds."""

    model_config = SettingsConfigDict(env_prefix="API_")

    artifact_dir: Path = Path("artifacts/model")
    prediction_log: Path | None = Path("logs/predictions.jsonl")
    title: str = "Penguin species prediction service (monitored)"
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"  # one JSON object per line, or plain text


class DriftThresholds(BaseSettings):
    """A feature has drifted when its PSI reaches both ``psi`` (PSI 0.1-0.2 is a common
    "watch" band and >= 0.2 a common "act" band) and what chance reaches at this window's
    size, or when its KS p-value drops below ``ks_pvalue`` and the Bonferroni level. Both are
    set so that a window with no drift alarms with probability about ``false_alarm_rate``."""

    model_config = SettingsConfigDict(env_prefix="DRIFT_")

    psi: float = 0.2
    ks_pvalue: float = 0.01
    false_alarm_rate: float = 0.05
    min_samples: int = 50
