"""A rare-positive problem on the same flights: will a scheduled flight be cancelled?

Lab 2 uses it to teach evaluation when positives are rare. A flight counts as **cancelled**
when it has no actual departure time (``dep_time`` is missing): 8,255 of the 336,776 flights
of 2013, 2.45%. (Diverted flights departed, so they are not cancelled; the late-arrival
problem of :mod:`autograder.labdata.problem` drops both, because neither has an arrival delay.)

The features are the ones known 2 hours before the scheduled departure, built by
:func:`autograder.labdata.problem.with_context`, so both problems read the world the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .problem import COLUMNS, TIME_COLUMN, csv_folder, flights_csv, read_flights, with_context

CANCELLED = "cancelled"

__all__ = ["CANCELLED", "count_cancelled", "is_cancelled", "load_schedule"]


def is_cancelled(dep_time: pd.Series | np.ndarray) -> np.ndarray:
    """The target: 1 where the flight never departed (no ``dep_time``), else 0."""
    return pd.isna(pd.Series(np.asarray(dep_time, dtype="float64"))).to_numpy().astype("int64")


def load_schedule(data_dir: Path | str | None = None, *, months: Sequence[int] | None = None,
                  per_month: int | None = None, seed: int = 42) -> pd.DataFrame:
    """Every scheduled flight, cancelled or not: :data:`~problem.COLUMNS` plus ``cancelled``.

    Sorted by scheduled departure. ``months`` and ``per_month`` work as in
    :func:`~autograder.labdata.problem.load_flights` (a per-month sample keeps each month's
    share of cancellations only on average: storms are rare, so small samples are noisy).
    """
    flights = read_flights(data_dir, "dep_time", months=months, per_month=per_month, seed=seed)
    data = with_context(flights, csv_folder(data_dir))
    data[CANCELLED] = is_cancelled(data["dep_time"])
    return (data[[*COLUMNS, CANCELLED]].sort_values([TIME_COLUMN, "flight"], kind="stable")
            .reset_index(drop=True))


def count_cancelled(data_dir: Path | str | None = None) -> tuple[int, int]:
    """``(cancelled, scheduled)`` over the whole year, reading only the ``dep_time`` column."""
    dep_time = pd.read_csv(flights_csv(csv_folder(data_dir)), usecols=["dep_time"])["dep_time"]
    return int(is_cancelled(dep_time).sum()), len(dep_time)
