"""Assembler + StandardScaler fitted on train only, against scikit-learn's StandardScaler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from sklearn.preprocessing import StandardScaler

from spark_jobs.ml import (
    fit_missing_values,
    fit_scaling_pipeline,
    parse_policies,
    scaler_stats,
    train_test_split,
)

COLS = ["amount", "amount_sq", "constant"]


def _prepared(sdf: DataFrame) -> DataFrame:
    df = sdf.withColumn("amount_sq", F.col("amount") * F.col("amount")).withColumn("constant", F.lit(3.0))
    return fit_missing_values(df, parse_policies({"amount": 0, "amount_sq": 0})).transform(df)


def _matrix(df: DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    rows = df.orderBy("row_id").collect()
    ids = np.array([r["row_id"] for r in rows])
    if column == "features":
        return ids, np.array([r["features"].toArray() for r in rows])
    return ids, np.array([[r[c] for c in COLS] for r in rows], dtype=float)


def test_scaled_like_sklearn_with_sample_std(spark: SparkSession, sdf: DataFrame, tmp_path: Path) -> None:
    split = train_test_split(_prepared(sdf), "user_id", 0.3, seed=2)
    model = fit_scaling_pipeline(split.train, COLS)
    _, x_train = _matrix(split.train, "raw")
    _, x_test = _matrix(split.test, "raw")
    reference = StandardScaler().fit(x_train)  # population std (ddof 0)
    n = len(x_train)
    stats = scaler_stats(model, COLS)
    np.testing.assert_allclose([stats[c]["mean"] for c in COLS], reference.mean_, rtol=1e-12)
    # Spark divides by the sample std: sqrt(var * n / (n - 1)).
    np.testing.assert_allclose(
        [stats[c]["std"] for c in COLS], np.sqrt(reference.var_ * n / (n - 1)), rtol=1e-10
    )
    for side, x in (("train", x_train), ("test", x_test)):
        part = split.train if side == "train" else split.test
        _, scaled = _matrix(model.transform(part), "features")
        expected = reference.transform(x) * np.sqrt((n - 1) / n)
        np.testing.assert_allclose(scaled, expected, rtol=1e-9, atol=1e-12, err_msg=side)
    # A constant feature scales to 0 in both.
    assert np.all(scaled[:, 2] == 0.0)
    # The saved model applies the same transform.
    model.write().save(str(tmp_path / "pipeline"))
    loaded = PipelineModel.load(str(tmp_path / "pipeline"))
    _, again = _matrix(loaded.transform(split.test), "features")
    np.testing.assert_array_equal(again, scaled)
