"""time_window_features against pandas' groupby().rolling("7D", on=..., closed="right")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml import WINDOW_STATS, time_window_features, window_feature_name

from ._data import T0, to_spark

WINDOWS = ("7d", "30d", "12h")


def pandas_windows(pdf: pd.DataFrame, windows: tuple[str, ...]) -> pd.DataFrame:
    """pandas' rolling windows, with every row of a tie given the value of the tie's last row."""
    ordered = pdf.sort_values(["user_id", "event_time", "row_id"], kind="stable").reset_index(drop=True)
    out = ordered[["row_id", "user_id", "event_time"]].copy()
    for w in windows:
        rolling = ordered.groupby("user_id").rolling(
            w.upper().replace("H", "h"), on="event_time", closed="right"
        )
        for stat in WINDOW_STATS:
            fn = stat
            # Groups come out in key order, rows in their (sorted) order: aligned with ``ordered``.
            values = getattr(rolling["amount"], fn)()
            out[window_feature_name("amount", stat, w)] = values.to_numpy()
    # SQL RANGE: tied rows share one window holding all of them = pandas' value at the tie's last row.
    features = [c for c in out.columns if c not in ("row_id", "user_id", "event_time")]
    last = out.groupby(["user_id", "event_time"])[features].transform("last")
    out[features] = last
    return out.set_index("row_id").sort_index()


def spark_windows(df: DataFrame, windows: tuple[str, ...]) -> pd.DataFrame:
    got = time_window_features(df, "user_id", "event_time", "amount", windows).toPandas()
    return got.set_index("row_id").sort_index()


def test_matches_pandas_rolling_on_event_time(sdf: DataFrame, pdf: pd.DataFrame) -> None:
    expected = pandas_windows(pdf, WINDOWS)
    got = spark_windows(sdf, WINDOWS)
    assert list(got.index) == list(expected.index)
    for w in WINDOWS:
        for stat in WINDOW_STATS:
            name = window_feature_name("amount", stat, w)
            np.testing.assert_allclose(
                got[name].to_numpy(float), expected[name].to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=name
            )
    # The data exercises what the semantics are about.
    ordered = pdf.sort_values(["user_id", "event_time"])
    gaps = ordered.groupby("user_id")["event_time"].diff()
    assert (gaps > pd.Timedelta(days=30)).sum() > 5
    assert (gaps == pd.Timedelta(0)).sum() > 5
    per_day = ordered.groupby(["user_id", ordered["event_time"].dt.date]).size()
    assert (per_day >= 3).sum() > 10
    assert (pdf.groupby("user_id").size() == 1).sum() >= 3


def test_windows_and_ties_across_arrow_batches(
    spark: SparkSession, sdf: DataFrame, pdf: pd.DataFrame
) -> None:
    # Batches of 4 rows: most windows reach back into earlier batches and ties cross batch ends,
    # so the rows carried between batches (and the held-back last tie) decide the values.
    expected = pandas_windows(pdf, ("30d", "12h"))
    conf = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(conf)
    spark.conf.set(conf, "4")
    try:
        got = spark_windows(sdf, ("30d", "12h"))
    finally:
        spark.conf.set(conf, before)
    assert list(got.index) == list(expected.index)
    for w in ("30d", "12h"):
        for stat in WINDOW_STATS:
            name = window_feature_name("amount", stat, w)
            np.testing.assert_allclose(
                got[name].to_numpy(float), expected[name].to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=name
            )


def test_std_keeps_its_digits_on_large_values(spark: SparkSession) -> None:
    # Values near 1e9 that differ in the third decimal, and a run of equal values: the std of each
    # window against numpy's two-pass std of the same values (exactly 0 for the equal ones).
    amounts = [1e9 + 0.001 * k for k in (1, 4, 2, 8, 5)] + [1e9 + 0.5] * 4
    times = [T0 + dt.timedelta(hours=h) for h in range(len(amounts))]
    pdf = pd.DataFrame(
        {
            "row_id": range(len(amounts)),
            "user_id": "a",
            "event_time": times,
            "amount": amounts,
            "category": "x",
            "label": 0,
        }
    )
    got = spark_windows(to_spark(spark, pdf), ("3h",))["amount_std_3h"].to_numpy(float)
    expected = [
        np.std(amounts[max(0, i - 2) : i + 1], ddof=1) if i >= 1 else np.nan for i in range(len(amounts))
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)
    assert got[-2:].tolist() == [0.0, 0.0]


def test_ties_see_all_rows_of_the_same_time_unlike_pandas(spark: SparkSession) -> None:
    t = T0 + dt.timedelta(hours=1)
    pdf = pd.DataFrame(
        {
            "row_id": [1, 2, 3, 4],
            "user_id": ["a", "a", "a", "a"],
            "event_time": [T0, t, t, t + dt.timedelta(days=8)],
            "amount": [1.0, 2.0, 4.0, 8.0],
            "category": ["x"] * 4,
            "label": [0] * 4,
        }
    )
    got = spark_windows(to_spark(spark, pdf), ("7d",))
    # Rows 2 and 3 share t: both see rows 1-3. pandas gives row 2 only rows 1-2 (order-dependent).
    assert got["amount_count_7d"].tolist() == [1, 3, 3, 1]
    assert got["amount_sum_7d"].tolist() == [1.0, 7.0, 7.0, 8.0]
    plain = pdf.groupby("user_id").rolling("7D", on="event_time", closed="right")["amount"].sum()
    assert plain.tolist() == [1.0, 3.0, 7.0, 8.0]


def test_window_is_exclusive_at_its_start(spark: SparkSession) -> None:
    pdf = pd.DataFrame(
        {
            "row_id": [1, 2, 3],
            "user_id": ["a"] * 3,
            "event_time": [T0, T0 + dt.timedelta(days=7), T0 + dt.timedelta(days=7, microseconds=1)],
            "amount": [1.0, 2.0, 4.0],
            "category": ["x"] * 3,
            "label": [0] * 3,
        }
    )
    got = spark_windows(to_spark(spark, pdf), ("7d",))
    expected = pdf.groupby("user_id").rolling("7D", on="event_time", closed="right")["amount"].sum()
    assert got["amount_sum_7d"].tolist() == expected.tolist() == [1.0, 2.0, 6.0]


def test_null_time_rows_get_null_features(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", T0, 1.0), ("a", None, 2.0)], "user_id string, event_time timestamp, amount double"
    )
    rows = {r["amount"]: r for r in time_window_features(df, "user_id", "event_time", "amount").collect()}
    assert rows[1.0]["amount_count_7d"] == 1
    assert rows[2.0]["amount_count_7d"] is None and rows[2.0]["amount_sum_30d"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"windows": ("7 days",)}, "window '7 days' is not valid"),
        ({"windows": ("7d", "7D")}, "windows must be distinct"),
        ({"windows": ()}, "windows must be a non-empty list"),
        ({"stats": ("median",)}, "stats must be a non-empty subset"),
        ({"time_col": "amount"}, "column 'amount' has type double; a timestamp or date column is required"),
        ({"value_col": "category"}, "column 'category' has type string"),
    ],
)
def test_bad_input_names_the_field(sdf: DataFrame, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "key_col": "user_id",
        "time_col": "event_time",
        "value_col": "amount",
        **kwargs,
    }
    with pytest.raises(FeatureInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        time_window_features(sdf, **args)  # type: ignore[arg-type]
