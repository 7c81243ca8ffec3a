"""The flights problem is defined once (autograder.labdata.problem) and used the same everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autograder.labdata import problem
from autograder.labdata.reference import FEATURES, train_reference_model


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return problem.load_flights(per_month=300, seed=1)


def test_target_is_fifteen_minutes_or_more_and_refuses_missing_delays():
    assert problem.is_late(pd.Series([14, 15, 16, -5])).tolist() == [0, 1, 1, 0]
    with pytest.raises(ValueError, match="cancelled or diverted"):
        problem.is_late(pd.Series([3.0, np.nan]))


def test_prediction_is_made_two_hours_before_scheduled_departure():
    sched = pd.Series(pd.to_datetime(["2013-07-01 09:30"]))
    assert problem.prediction_time(sched).iloc[0] == pd.Timestamp("2013-07-01 07:30")


def test_sample_covers_every_month_and_has_only_features_known_in_advance(sample):
    assert sorted(sample[problem.TIME_COLUMN].dt.month.unique()) == list(range(1, 13))
    assert (sample[problem.TIME_COLUMN].dt.month.value_counts() == 300).all()
    assert list(sample.columns) == [*problem.COLUMNS, problem.TARGET]
    for later in ("dep_delay", "arr_delay", "air_time", "dep_time", "arr_time"):
        assert later not in sample.columns
    assert sample["wind_speed"].max() < problem.MAX_WIND_MPH  # the 1048 mph reading is gone
    assert sample[problem.TIME_COLUMN].is_monotonic_increasing


def test_time_split_puts_every_test_flight_after_every_training_flight(sample):
    train, test = problem.time_split(sample, test_size=0.25)
    assert len(train) + len(test) == len(sample)
    assert train[problem.TIME_COLUMN].max() <= test[problem.TIME_COLUMN].min()
    assert abs(len(test) / len(sample) - 0.25) < 0.01
    train, test = problem.time_split(sample, test_from="2013-04-01")
    assert train[problem.TIME_COLUMN].dt.month.max() == 3 and test[problem.TIME_COLUMN].dt.month.min() == 4


def test_reference_model_is_deterministic_and_records_its_split(sample):
    first, meta = train_reference_model(sample, seed=3, test_from="2013-10-01")
    second, _ = train_reference_model(sample, seed=3, test_from="2013-10-01")
    rows = sample[FEATURES].tail(50)
    assert np.array_equal(first.predict_proba(rows), second.predict_proba(rows))
    assert meta["split"]["kind"] == "time" and meta["split"]["target"] == "arr_delay >= 15"
    assert meta["split"]["train"][1] < meta["split"]["test"][0]
    assert 0.5 < meta["metrics"]["roc_auc"] < 0.9
