"""Lab 2's rare-positive target (autograder.labdata.cancellations) matches the data it claims."""

from __future__ import annotations

import numpy as np
import pandas as pd

from autograder.labdata import problem
from autograder.labdata.cancellations import CANCELLED, count_cancelled, is_cancelled, load_schedule


def test_a_flight_without_a_departure_time_is_cancelled():
    assert is_cancelled(pd.Series([517.0, np.nan, 2359.0])).tolist() == [0, 1, 0]


def test_the_stated_cancellation_rate_is_the_data_s():
    assert count_cancelled() == (8255, 336776)   # 2.45%, as the module and Lab 2 say


def test_schedule_keeps_cancelled_flights_with_the_features_known_in_advance():
    sample = load_schedule(months=[2], per_month=2000, seed=3)
    assert list(sample.columns) == [*problem.COLUMNS, CANCELLED]
    assert len(sample) == 2000 and 0 < sample[CANCELLED].mean() < 0.2
    assert sample[problem.TIME_COLUMN].is_monotonic_increasing
    assert sample["temp"].notna().mean() > 0.9   # the weather was joined
