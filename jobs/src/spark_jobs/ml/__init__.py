"""spark_jobs.ml: model-ready training data (window and user features, split, fills, scaling)."""

from __future__ import annotations

from spark_jobs.ml.missing_values import (
    MISSING_POLICIES,
    FittedMissingValues,
    MissingValuePolicy,
    fit_missing_values,
    parse_policies,
    parse_policy,
)
from spark_jobs.ml.scaling import fit_scaling_pipeline, scaler_stats
from spark_jobs.ml.split import TrainTestSplit, split_bucket, train_test_split
from spark_jobs.ml.time_windows import WINDOW_STATS, time_window_features, window_feature_name
from spark_jobs.ml.training_set import TrainingData, TrainingDataConfig, build_training_data, check_config
from spark_jobs.ml.user_features import (
    join_user_features,
    user_feature_names,
    user_features,
    user_numeric_feature_names,
)

__all__ = [
    "MISSING_POLICIES",
    "WINDOW_STATS",
    "FittedMissingValues",
    "MissingValuePolicy",
    "TrainTestSplit",
    "TrainingData",
    "TrainingDataConfig",
    "build_training_data",
    "check_config",
    "fit_missing_values",
    "fit_scaling_pipeline",
    "join_user_features",
    "parse_policies",
    "parse_policy",
    "scaler_stats",
    "split_bucket",
    "time_window_features",
    "train_test_split",
    "user_feature_names",
    "user_features",
    "user_numeric_feature_names",
    "window_feature_name",
]
