"""Load the training data and check it against its contract before anything trains on it.

A model trained on silently broken data is worse than no model: validation fails loudly,
with every problem listed, instead of letting a bad column reach the model.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import DataConfig

# Physically plausible ranges; values outside them are data errors, not rare penguins.
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "bill_length_mm": (25.0, 70.0),
    "bill_depth_mm": (10.0, 25.0),
    "flipper_length_mm": (160.0, 240.0),
    "body_mass_g": (2500.0, 6500.0),
}
ALLOWED_CATEGORIES: dict[str, set[str]] = {
    "species": {"Adelie", "Chinstrap", "Gentoo"},
    "island": {"Biscoe", "Dream", "Torgersen"},
    "sex": {"male", "female"},
}
MIN_ROWS = 100


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
    """Return the raw table. The default source ships inside a pip wheel: no network needed."""
    if config.source == "csv":
        return pd.read_csv(config.csv_path)
    if config.source == "sqlite":
        return extract_sql(config.sqlite_path, config.query_path)
    from palmerpenguins import load_penguins

    return load_penguins()


def extract_sql(database: Path, query: Path) -> pd.DataFrame:
    """Run the extraction query (``sql/training_rows.sql``) on a read-only connection."""
    if not Path(database).is_file():
        raise FileNotFoundError(f"{database} does not exist: run `make warehouse` to build it")
    sql = Path(query).read_text(encoding="utf-8")
    with sqlite3.connect(f"file:{Path(database).resolve()}?mode=ro", uri=True) as conn:
        return pd.read_sql_query(sql, conn)


def build_warehouse(database: Path) -> Path:
    """Write the shipped penguins data into a SQLite table ``penguins``: a stand-in for the
    company database the rows would come from (replace it with yours)."""
    from palmerpenguins import load_penguins

    Path(database).parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as conn:
        load_penguins().to_sql("penguins", conn, index=False, if_exists="replace")
    return Path(database)


def validate(frame: pd.DataFrame, config: DataConfig) -> ValidationReport:
    """Check columns, types, ranges, categories and missing values; never modifies ``frame``."""
    report = ValidationReport(rows=len(frame))
    required = [*config.features, config.target]
    missing_cols = [c for c in required if c not in frame.columns]
    if missing_cols:
        report.problems.append(f"missing columns: {', '.join(missing_cols)}")
        return report
    if len(frame) < MIN_ROWS:
        report.problems.append(f"only {len(frame)} rows; at least {MIN_ROWS} are needed")
    if frame[config.target].isna().any():
        report.problems.append(f"target '{config.target}' has missing values")
    for col in config.numeric_features:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            report.problems.append(f"column '{col}' should be numeric, got {frame[col].dtype}")
            continue
        low, high = VALUE_RANGES.get(col, (float("-inf"), float("inf")))
        outside = frame[col].dropna().between(low, high).eq(False).sum()
        if outside:
            report.problems.append(f"column '{col}': {outside} values outside [{low}, {high}]")
    for col in [*config.categorical_features, config.target]:
        allowed = ALLOWED_CATEGORIES.get(col)
        if allowed is None:
            continue
        unknown = set(frame[col].dropna().unique()) - allowed
        if unknown:
            report.problems.append(f"column '{col}': unknown values {sorted(map(str, unknown))}")
    for col in config.features:
        fraction = frame[col].isna().mean()
        if fraction > config.max_missing_fraction:
            report.problems.append(
                f"column '{col}': {fraction:.1%} missing > {config.max_missing_fraction:.1%}"
            )
    return report


def load_validated(config: DataConfig) -> pd.DataFrame:
    """Load, validate (raising DataValidationError) and return the rows usable for training."""
    frame = load_raw(config)
    report = validate(frame, config)
    if not report.ok:
        raise DataValidationError(report.problems)
    return frame[[*config.features, config.target]].reset_index(drop=True)
