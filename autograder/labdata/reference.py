"""The course's reference model for the flights problem (:mod:`autograder.labdata.problem`).

Lab 3 teaches how to build such a pipeline; Labs 4 and 5 need a trained one to serve and to
monitor, and must not depend on a learner's Lab 3 submission. Their setup cells call
:func:`train_reference_model`, which fits this small, leakage-safe pipeline forward in time in
about a second, deterministically (the same data and seed give the same model).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from .problem import CATEGORICAL, NUMERIC, TARGET, TIME_COLUMN, describe, time_split

FEATURES = [TIME_COLUMN, *CATEGORICAL, *NUMERIC]  # what the model reads, in this order
TIME_FEATURES = ["dep_hour", "weekday"]


def time_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Hour of the scheduled departure (with minutes) and day of week, from :data:`TIME_COLUMN`."""
    times = pd.to_datetime(frame[TIME_COLUMN])
    return pd.DataFrame({"dep_hour": times.dt.hour + times.dt.minute / 60,
                         "weekday": times.dt.dayofweek.astype("float64")}, index=frame.index)


def reference_pipeline(seed: int = 42) -> Pipeline:
    """Time features, imputed and scaled numbers, one-hot categories, logistic regression."""
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    prepare = ColumnTransformer([
        ("time", make_pipeline(FunctionTransformer(time_features,
                                                   feature_names_out=_time_names),
                               StandardScaler()), [TIME_COLUMN]),
        ("numeric", numbers, NUMERIC),
        ("categories", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20,
                                     sparse_output=False), CATEGORICAL),
    ])
    return Pipeline([("prepare", prepare),
                     ("model", LogisticRegression(C=1.0, max_iter=1000, random_state=seed))])


def _time_names(transformer, names) -> np.ndarray:
    return np.asarray(TIME_FEATURES, dtype=object)


def train_reference_model(data: pd.DataFrame, *, seed: int = 42, test_from: str | None = None,
                          test_size: float = 0.25) -> tuple[Pipeline, dict]:
    """Fit :func:`reference_pipeline` on the earlier flights; return it and its metadata.

    The metadata records the split (:func:`~autograder.labdata.problem.describe`), the features
    and the test ROC-AUC and log-loss, so a service can report what it is serving.
    """
    from sklearn.metrics import log_loss, roc_auc_score

    train, test = time_split(data, test_from=test_from, test_size=test_size)
    model = reference_pipeline(seed).fit(train[FEATURES], train[TARGET])
    metrics = {}
    if len(test) and test[TARGET].nunique() == 2:
        scores = model.predict_proba(test[FEATURES])[:, 1]
        metrics = {"roc_auc": round(float(roc_auc_score(test[TARGET], scores)), 4),
                   "log_loss": round(float(log_loss(test[TARGET], scores)), 4),
                   "late_rate": round(float(test[TARGET].mean()), 4)}
    return model, {"name": "flights-late", "features": FEATURES, "split": describe(train, test),
                   "metrics": metrics, "seed": seed}
