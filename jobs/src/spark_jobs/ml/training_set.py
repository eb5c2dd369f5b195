"""Model-ready training data from raw events: window and user features, split, fill, assemble, scale.

The order keeps the test split out of everything fitted: features that only look at a row's own
user (its past window, its lifetime) are computed first; then whole users are split; then the
missing-value fills and the scaler are fitted on the training rows only and applied to both sides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_jobs.features._checks import col, require_numeric
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml.missing_values import (
    FittedMissingValues,
    MissingValuePolicy,
    PolicySpec,
    fit_missing_values,
    parse_policies,
    parse_policy,
)
from spark_jobs.ml.scaling import FEATURES_COL, RAW_VECTOR_COL, fit_scaling_pipeline, scaler_stats
from spark_jobs.ml.split import SPLIT_COL, TRAIN, train_test_split
from spark_jobs.ml.time_windows import WINDOW_STATS, time_window_features, window_feature_name
from spark_jobs.ml.user_features import (
    AsOf,
    join_user_features,
    user_features,
    user_numeric_feature_names,
)
from spark_jobs.optimization.partitioning import PartitionOptimizer


@dataclass(frozen=True)
class TrainingDataConfig:
    """What to build: the columns of the events, the windows, the split and the missing-value policies."""

    key_col: str
    time_col: str
    value_col: str
    category_col: str
    label_col: str
    windows: Sequence[str] = ("7d", "30d")
    test_fraction: float = 0.2
    seed: int = 42
    missing: Mapping[str, PolicySpec] = field(default_factory=dict)
    """Column -> policy; feature columns not named here get ``default_missing``."""
    default_missing: str = "mean"
    as_of: AsOf = None

    @property
    def feature_cols(self) -> list[str]:
        """The model inputs, in vector order: window features (window-major), then user features."""
        windowed = [window_feature_name(self.value_col, s, w) for w in self.windows for s in WINDOW_STATS]
        return [*windowed, *user_numeric_feature_names(self.value_col)]

    def policies(self) -> list[MissingValuePolicy]:
        """Declared policies, then ``default_missing`` for every feature column without one."""
        declared = parse_policies(self.missing)
        named = {p.column for p in declared}
        default = [parse_policy(c, self.default_missing) for c in self.feature_cols if c not in named]
        return [*declared, *default]


@dataclass(frozen=True)
class TrainingData:
    """The result: every row with its side and scaled vector, and what was fitted on the training rows."""

    rows: DataFrame
    """Input columns, features (filled), ``features`` (scaled vector) and ``split``."""
    pipeline: PipelineModel
    missing_values: FittedMissingValues
    config: TrainingDataConfig
    persisted: DataFrame | None = None
    """The persisted rows with window and user features (released by :meth:`unpersist`)."""

    def unpersist(self) -> None:
        """Release the persisted intermediate rows."""
        if self.persisted is not None:
            self.persisted.unpersist()

    def summary(self) -> dict[str, Any]:
        """Rows, users and label balance per split; feature list, fill values, scaler statistics."""
        c = self.config
        # One pass over the rows: counts per (split, user, label), at most users x labels rows; the
        # per-split rows, users and label counts are then small aggregations of that.
        counts = self.rows.groupBy(
            F.col(SPLIT_COL), col(c.key_col).alias("__key"), col(c.label_col).alias("__label")
        ).agg(F.count(F.lit(1)).alias("__n"))
        persisted, per_user = PartitionOptimizer(self.rows.sparkSession).persist_sized(counts)
        try:
            totals = per_user.groupBy(SPLIT_COL).agg(
                F.sum("__n").alias("rows"), F.countDistinct(F.col("__key")).alias("users")
            )
            labels = per_user.groupBy(SPLIT_COL, "__label").agg(F.sum("__n").alias("count"))
            total_rows, label_rows = totals.collect(), labels.collect()
        finally:
            persisted.unpersist()
        per_split: dict[str, dict[str, Any]] = {}
        for r in total_rows:
            per_split[r[SPLIT_COL]] = {"rows": int(r["rows"]), "users": int(r["users"]), "labels": {}}
        for r in label_rows:
            label = "null" if r["__label"] is None else str(r["__label"])
            per_split[r[SPLIT_COL]]["labels"][label] = int(r["count"])
        for side in per_split.values():
            side["labels"] = dict(sorted(side["labels"].items()))
            side["label_share"] = {k: v / side["rows"] for k, v in side["labels"].items()}
        rows = sum(s["rows"] for s in per_split.values())
        users = sum(s["users"] for s in per_split.values())
        test = per_split.get("test", {"rows": 0, "users": 0})
        return {
            "splits": per_split,
            "requested_test_fraction": c.test_fraction,
            "realized_test_fraction": {
                "rows": test["rows"] / rows if rows else 0.0,
                "users": test["users"] / users if users else 0.0,
            },
            "seed": c.seed,
            "features": c.feature_cols,
            "missing_values": self.missing_values.to_dict(),
            "scaler": scaler_stats(self.pipeline, c.feature_cols),
        }


def check_config(config: TrainingDataConfig) -> None:
    """Everything about ``config`` that can be checked without data (before anything is read)."""
    from spark_jobs.ml._params import require_fraction, window_label
    from spark_jobs.ml.split import require_seed

    labels = [window_label(w) for w in config.windows]
    if not labels or len(set(labels)) != len(labels):
        raise FeatureInputError(
            f"windows must be a non-empty list of distinct windows, got {list(config.windows)}"
        )
    require_fraction("test_fraction", config.test_fraction)
    require_seed(config.seed)
    config.policies()


def build_training_data(df: DataFrame, config: TrainingDataConfig) -> TrainingData:
    """Build the training data (see the module docstring); call ``unpersist()`` on the result when done."""
    check_config(config)
    require_numeric(df, config.label_col, "training data: label_col")
    windowed = time_window_features(df, config.key_col, config.time_col, config.value_col, config.windows)
    # The user table comes from the raw events: aggregating the windowed rows would run the window
    # pass (shuffle, sort, kernel) again for each aggregation and for the default as_of.
    per_user = user_features(
        df,
        config.key_col,
        config.time_col,
        config.value_col,
        config.category_col,
        as_of=config.as_of,
        per_row=False,
    )
    featured = join_user_features(windowed, per_user, config.key_col, config.value_col)
    split = train_test_split(featured, config.key_col, config.test_fraction, config.seed)
    # The window and user features feed the fills, the scaler and the write: compute them once, and
    # read them back in partitions of their real size (a persisted shuffle keeps every partition).
    persisted, labeled = PartitionOptimizer(df.sparkSession).persist_sized(split.labeled)
    is_train = F.col(SPLIT_COL) == TRAIN
    try:
        missing = fit_missing_values(labeled.where(is_train), config.policies())
        filled = missing.transform(labeled)
        pipeline = fit_scaling_pipeline(filled.where(is_train), config.feature_cols)
    except BaseException:
        persisted.unpersist()
        raise
    rows = pipeline.transform(filled).drop(RAW_VECTOR_COL)
    ordered = [c for c in rows.columns if c not in (FEATURES_COL, SPLIT_COL)] + [FEATURES_COL, SPLIT_COL]
    return TrainingData(rows.select(*[col(c) for c in ordered]), pipeline, missing, config, persisted)
