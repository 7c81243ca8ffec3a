"""Turn validated columns into model inputs.

Everything here is a scikit-learn built-in, so the saved artifact is a plain sklearn
Pipeline: any service (for example the prediction API) can load it without this package.
"""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .config import DataConfig


def build_preprocessor(config: DataConfig) -> ColumnTransformer:
    """Impute and scale numbers; impute and one-hot encode categories (unknowns ignored)."""
    numeric = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    )
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, config.numeric_features),
            ("categorical", categorical, config.categorical_features),
        ],
        verbose_feature_names_out=False,
    )


def split_xy(frame: pd.DataFrame, config: DataConfig) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the feature columns (in config order) from the target."""
    return frame[config.features], frame[config.target]
