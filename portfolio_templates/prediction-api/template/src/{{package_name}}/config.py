"""Service settings: one typed object, read from environment variables prefixed ``API_``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the model artifact lives and how the service describes itself."""

    model_config = SettingsConfigDict(env_prefix="API_")

    artifact_dir: Path = Path("artifacts/model")
    title: str = "Penguin species prediction API"
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"  # one JSON object per line, or plain text
