"""Turn validated columns into model inputs.

Everything here is a scikit-learn built-in, so the saved artifact is a plain sklearn
Pipeline: any service can load it without this package. Identifiers and the time column
never reach the model: the transformer keeps only the configured features and drops the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from .config import DataConfig


def build_preprocessor(config: DataConfig, model_kind: str = "logistic_regression"):
    """Impute and scale numbers; impute and one-hot encode categories (unknowns ignored).

    Gradient-boosted trees get numbers as they are (they handle missing values and need no
    scaling) and categories as integer codes that the model treats as categories: one-hot
    columns would make them slower and no better.
    """
    if model_kind == "hist_gradient_boosting":
        codes = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
        )
        return ColumnTransformer(
            [
                ("numeric", "passthrough", config.numeric_features),
                ("categorical", codes, config.categorical_features),
            ],
            verbose_feature_names_out=False,
        )
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
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


def categorical_mask(config: DataConfig) -> list[bool]:
    """Which columns leaving the tree preprocessor are categories (numbers come first)."""
    return [False] * len(config.numeric_features) + [True] * len(config.categorical_features)


def split_xy(frame: pd.DataFrame, config: DataConfig) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the feature columns (in config order) from the target."""
    return frame[config.features], frame[config.target]
