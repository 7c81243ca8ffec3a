"""Split the rows the way the model will be used, and cross-validate the same way.

With a time column the split is forward in time: the model is trained on the past and
judged on a later period, as it will be in service. A random split would put flights from
the same days (same storms, same holiday rush) on both sides and flatter the model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, train_test_split

from .config import PipelineConfig


def split_rows(frame: pd.DataFrame, config: PipelineConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test). Time split: every test row happens at or after every training row,
    and both parts come back in time order (the order TimeSeriesSplit relies on)."""
    split, data = config.split, config.data
    if split.kind == "random":
        stratify = frame[data.target] if config.task == "classification" else None
        return train_test_split(
            frame, test_size=split.test_size, random_state=split.seed, stratify=stratify
        )
    times = pd.to_datetime(frame[data.time_column])
    if split.test_from is not None:
        cut = pd.Timestamp(split.test_from)
    else:
        cut = times.sort_values().iloc[round(len(times) * (1 - split.test_size))]
    order = times.sort_values(kind="stable").index
    ordered, ordered_times = frame.loc[order], times.loc[order]
    train, test = ordered[ordered_times < cut], ordered[ordered_times >= cut]
    if train.empty or test.empty:
        raise ValueError(
            f"split.test_from {cut} leaves {len(train)} training and {len(test)} "
            f"test rows: choose a date inside the data's time range"
        )
    return train, test


def cv_folds(config: PipelineConfig):
    """Forward-chaining folds for time-ordered rows; shuffled (stratified) folds otherwise."""
    split = config.split
    if split.kind == "time":
        return TimeSeriesSplit(n_splits=split.cv_folds)
    if config.task == "classification":
        return StratifiedKFold(n_splits=split.cv_folds, shuffle=True, random_state=split.seed)
    return KFold(n_splits=split.cv_folds, shuffle=True, random_state=split.seed)


def describe_split(train: pd.DataFrame, test: pd.DataFrame, config: PipelineConfig) -> dict:
    """The split as metadata to save next to the model: what it learned from and was judged on."""
    split, column = config.split, config.data.time_column
    described: dict[str, Any] = {
        "kind": split.kind,
        "n_train": len(train),
        "n_test": len(test),
        "cv": f"{type(cv_folds(config)).__name__}({split.cv_folds})",
    }
    if split.kind == "time":

        def span(part: pd.DataFrame) -> list[str]:
            times = pd.to_datetime(part[column])
            return [str(times.min()), str(times.max())]

        described.update(
            time_column=column,
            test_from=split.test_from,
            train_period=span(train),
            test_period=span(test),
        )
    else:
        described.update(test_size=split.test_size, seed=split.seed)
    return described
