"""TemporalTrendFeatures against pandas rolling/shift references on the same ordering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from spark_jobs.features.errors import FeatureInputError
from spark_jobs.features.temporal_trends import TemporalTrendFeatures, TrendFeature

from ._reference import assert_close, to_pandas_sorted

T0 = dt.datetime(2024, 1, 1)
SCHEMA = T.StructType(
    [
        T.StructField("g", T.StringType()),
        T.StructField("ts", T.TimestampType()),
        T.StructField("x", T.DoubleType()),
    ]
)


def _series() -> dict[str, list[float | None]]:
    rng = np.random.default_rng(7)
    noisy = rng.integers(-5, 6, size=60).astype(float)  # small integers: many ties
    noisy[rng.random(60) < 0.2] = np.nan
    return {
        "single": [4.0],
        "pair": [2.0, None],
        "const": [5.0] * 7,
        "zeros": [0.0, 0.0, 5.0, 10.0, 0.0, -4.0, 8.0, -5.0, 5.0, 0.0],
        "ties": [3.0, 1.0, 2.0, 2.0, 5.0, 2.0, 2.0, None, 2.0, None, None, None, 7.0],
        "noisy": [None if np.isnan(v) else float(v) for v in noisy],
        "smooth": [float(v) for v in rng.normal(100.0, 15.0, size=40)],
    }


@pytest.fixture(scope="module")
def frames(spark: SparkSession) -> tuple[DataFrame, pd.DataFrame]:
    """The same data as a Spark DataFrame (rows shuffled) and a pandas frame sorted by (g, ts)."""
    rows = []
    for g, values in _series().items():
        for i, v in enumerate(values):
            rows.append((g, T0 + dt.timedelta(minutes=7 * i), v))
    shuffled = [rows[i] for i in np.random.default_rng(1).permutation(len(rows))]
    sdf = spark.createDataFrame(shuffled, SCHEMA).cache()
    pdf = pd.DataFrame(rows, columns=["g", "ts", "x"]).astype({"x": float})
    return sdf, pdf.sort_values(["g", "ts"]).reset_index(drop=True)


def _slope(window: np.ndarray) -> float:
    mask = ~np.isnan(window)
    positions = np.arange(len(window), dtype=float)[mask]
    return float(np.polyfit(positions, window[mask], 1)[0])


def _no_inf(s: pd.Series) -> pd.Series:
    return s.replace([np.inf, -np.inf], np.nan)


REFERENCES: dict[str, Callable[[pd.Series, TrendFeature], pd.Series]] = {
    "delta": lambda s, f: s.diff(f.periods),
    # pct_change(fill_method=None) by definition, with a zero denominator mapped to null.
    "pct_change": lambda s, f: _no_inf(s / s.shift(f.periods) - 1.0),
    "momentum": lambda s, f: s - s.rolling(f.window, min_periods=1).mean(),
    "minmax_range": lambda s, f: (
        s.rolling(f.window, min_periods=1).max() - s.rolling(f.window, min_periods=1).min()
    ),
    "rolling_rank": lambda s, f: s.rolling(f.window, min_periods=1).rank(pct=True),
    "trend_slope": lambda s, f: s.rolling(f.window, min_periods=2).apply(_slope, raw=True),
    "volatility": lambda s, f: (
        s.rolling(f.window, min_periods=2).std()
        if f.volatility_kind == "std"
        else _no_inf(s.rolling(f.window, min_periods=2).std() / s.rolling(f.window, min_periods=2).mean())
    ),
}


def _reference(pdf: pd.DataFrame, feature: TrendFeature) -> pd.Series:
    return pdf.groupby("g", sort=False)["x"].transform(lambda s: REFERENCES[feature.kind](s, feature))


FEATURES = [
    TrendFeature("delta", "x", periods=1),
    TrendFeature("delta", "x", periods=3),
    TrendFeature("pct_change", "x", periods=1),
    TrendFeature("pct_change", "x", periods=2),
    *[
        TrendFeature(kind, "x", window=w)
        for kind in ("momentum", "minmax_range", "rolling_rank")
        for w in (1, 3, 5)
    ],
    *[TrendFeature(kind, "x", window=w) for kind in ("trend_slope", "volatility") for w in (2, 3, 5)],
    *[TrendFeature("volatility", "x", window=w, volatility_kind="cv") for w in (2, 4)],
]


@pytest.fixture(scope="module")
def computed(frames: tuple[DataFrame, pd.DataFrame]) -> pd.DataFrame:
    sdf, _ = frames
    out = TemporalTrendFeatures("ts", ["g"]).compute(sdf, FEATURES)
    return to_pandas_sorted(out, ["g", "ts"])


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_matches_pandas(
    computed: pd.DataFrame, frames: tuple[DataFrame, pd.DataFrame], feature: TrendFeature
) -> None:
    _, pdf = frames
    assert list(computed["ts"]) == list(pdf["ts"])
    assert_close(computed[feature.name], _reference(pdf, feature), feature.name)


def test_rolling_rank_example_from_pandas_docs(spark: SparkSession) -> None:
    # [3,1,2,2,5], w=3 -> rank [NaN..] pct: pandas gives [1, 0.5, 0.667, 0.833, 1.0] with min_periods=1.
    sdf = spark.createDataFrame(
        [("a", i, float(v)) for i, v in enumerate([3, 1, 2, 2, 5])], "g string, t int, x double"
    )
    got = to_pandas_sorted(TemporalTrendFeatures("t", ["g"]).rolling_rank(sdf, "x", 3), ["t"])
    expected = pd.Series([3.0, 1.0, 2.0, 2.0, 5.0]).rolling(3, min_periods=1).rank(pct=True)
    assert_close(got["x_rolling_rank_3"], expected, "rank")
    assert_close(got["x_rolling_rank_3"], [1.0, 0.5, 2 / 3, 2.5 / 3, 1.0], "rank literal")


def test_single_methods_add_one_named_column(frames: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, pdf = frames
    trends = TemporalTrendFeatures("ts", "g")
    calls = {
        "d": lambda: trends.delta(sdf, "x", 2, output_col="d"),
        "p": lambda: trends.pct_change(sdf, "x", output_col="p"),
        "m": lambda: trends.momentum(sdf, "x", 4, output_col="m"),
        "v": lambda: trends.volatility(sdf, "x", 4, kind="cv", output_col="v"),
        "s": lambda: trends.trend_slope(sdf, "x", 4, output_col="s"),
        "r": lambda: trends.rolling_rank(sdf, "x", 4, output_col="r"),
        "mm": lambda: trends.minmax_range(sdf, "x", 4, output_col="mm"),
    }
    features = {
        "d": TrendFeature("delta", "x", periods=2),
        "p": TrendFeature("pct_change", "x"),
        "m": TrendFeature("momentum", "x", window=4),
        "v": TrendFeature("volatility", "x", window=4, volatility_kind="cv"),
        "s": TrendFeature("trend_slope", "x", window=4),
        "r": TrendFeature("rolling_rank", "x", window=4),
        "mm": TrendFeature("minmax_range", "x", window=4),
    }
    for name, call in calls.items():
        out = call()
        assert out.columns == [*sdf.columns, name]
        got = to_pandas_sorted(out, ["g", "ts"])
        assert_close(got[name], _reference(pdf, features[name]), name)


def test_default_names_say_what_they_are() -> None:
    assert TrendFeature("delta", "amount", periods=2).name == "amount_delta_2"
    assert (
        TrendFeature("volatility", "amount", window=7, volatility_kind="cv").name == "amount_volatility_cv_7"
    )
    assert TrendFeature("trend_slope", "amount", window=5).name == "amount_trend_slope_5"


def test_two_group_columns_and_integer_values(spark: SparkSession) -> None:
    rng = np.random.default_rng(3)
    rows = [(a, b, t, int(rng.integers(0, 4))) for a in ("u", "v") for b in (1, 2) for t in range(12)]
    sdf = spark.createDataFrame(rows, "a string, b int, t long, y int")
    out = TemporalTrendFeatures("t", ["a", "b"]).compute(
        sdf, [TrendFeature("rolling_rank", "y", window=4), TrendFeature("trend_slope", "y", window=6)]
    )
    got = to_pandas_sorted(out, ["a", "b", "t"])
    pdf = pd.DataFrame(rows, columns=["a", "b", "t", "y"]).astype({"y": float})
    grouped = pdf.groupby(["a", "b"])["y"]
    assert_close(
        got["y_rolling_rank_4"],
        grouped.transform(lambda s: s.rolling(4, min_periods=1).rank(pct=True)),
        "rank",
    )
    expected_slope = grouped.transform(lambda s: s.rolling(6, min_periods=2).apply(_slope, raw=True))
    assert_close(got["y_trend_slope_6"], expected_slope, "slope")


def test_nan_is_skipped_like_null(spark: SparkSession) -> None:
    values = [1.0, float("nan"), 4.0, 2.0]
    sdf = spark.createDataFrame([("a", i, v) for i, v in enumerate(values)], "g string, t int, x double")
    got = to_pandas_sorted(TemporalTrendFeatures("t", ["g"]).volatility(sdf, "x", 3), ["t"])
    expected = pd.Series(values).rolling(3, min_periods=2).std()
    assert_close(got["x_volatility_std_3"], expected, "std with NaN")


def test_empty_input_gives_empty_output_with_the_columns(spark: SparkSession) -> None:
    empty = spark.createDataFrame([], SCHEMA)
    out = TemporalTrendFeatures("ts", ["g"]).compute(empty, FEATURES)
    assert out.count() == 0
    assert out.columns == ["g", "ts", "x", *[f.name for f in FEATURES]]
    assert {out.schema[f.name].dataType for f in FEATURES} == {T.DoubleType()}


@pytest.mark.parametrize("batch_rows", ["1", "7", "16"])
def test_windows_span_arrow_batches(
    frames: tuple[DataFrame, pd.DataFrame],
    sql_conf: Callable[[dict[str, str]], AbstractContextManager[None]],
    batch_rows: str,
) -> None:
    # Tiny Arrow batches: every window and most groups cross batch boundaries (rows are carried over).
    sdf, pdf = frames
    with sql_conf({"spark.sql.execution.arrow.maxRecordsPerBatch": batch_rows}):
        got = to_pandas_sorted(TemporalTrendFeatures("ts", ["g"]).compute(sdf, FEATURES), ["g", "ts"])
    for feature in FEATURES:
        assert_close(got[feature.name], _reference(pdf, feature), f"{feature.name} (batches of {batch_rows})")


def test_null_group_key_is_a_group_and_no_key_is_one_series(
    spark: SparkSession, sql_conf: Callable[[dict[str, str]], AbstractContextManager[None]]
) -> None:
    rng = np.random.default_rng(11)
    rows = [(g, t, float(rng.normal())) for g in ("a", None, "b") for t in range(30)]
    sdf = spark.createDataFrame(rows, "g string, t int, x double")
    pdf = pd.DataFrame(rows, columns=["g", "t", "x"])
    feature = TrendFeature("trend_slope", "x", window=6)
    with sql_conf({"spark.sql.execution.arrow.maxRecordsPerBatch": "8"}):
        grouped = TemporalTrendFeatures("t", ["g"]).compute(sdf, [feature])
        got = to_pandas_sorted(grouped.fillna({"g": "<null>"}), ["g", "t"])
        single = to_pandas_sorted(
            TemporalTrendFeatures("t", []).compute(sdf.filter("g = 'a'"), [feature]), ["t"]
        )
    reference = pdf.assign(g=pdf["g"].fillna("<null>")).sort_values(["g", "t"], kind="stable")
    expected = reference.groupby("g", sort=False)["x"].transform(
        lambda s: s.rolling(6, min_periods=2).apply(_slope, raw=True)
    )
    assert_close(got["x_trend_slope_6"], expected.reset_index(drop=True), "slope with a null key")
    series = pdf[pdf["g"] == "a"]["x"].rolling(6, min_periods=2).apply(_slope, raw=True)
    assert_close(single["x_trend_slope_6"], series.reset_index(drop=True), "one global series")


def test_many_features_cost_one_shuffle_and_one_sort(frames: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = frames
    out = TemporalTrendFeatures("ts", ["g"]).compute(sdf, FEATURES)
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert plan.count("Exchange hashpartitioning") == 1, plan
    assert plan.count("Sort [") == 1, plan


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t, df: t.delta(df, "nope"), "not found"),
        (lambda t, df: t.momentum(df, "g", 3), "numeric"),
        (lambda t, df: t.momentum(df, "x", 0), "window must be an integer >= 1"),
        (lambda t, df: t.volatility(df, "x", 1), "window must be an integer >= 2"),
        (lambda t, df: t.volatility(df, "x", 3, kind="var"), "volatility_kind must be one of"),
        (lambda t, df: t.delta(df, "x", periods=0), "periods must be an integer >= 1"),
        (lambda t, df: t.delta(df, "x", output_col="x"), "already exists"),
        (lambda t, df: TemporalTrendFeatures("when", ["g"]).delta(df, "x"), "not found"),
    ],
)
def test_bad_input_names_the_problem(
    frames: tuple[DataFrame, pd.DataFrame],
    make: Callable[[TemporalTrendFeatures, DataFrame], DataFrame],
    message: str,
) -> None:
    sdf, _ = frames
    with pytest.raises(FeatureInputError, match=message):
        make(TemporalTrendFeatures("ts", ["g"]), sdf)


def test_a_string_time_column_is_refused_without_a_format_and_parsed_with_one(spark: SparkSession) -> None:
    # GIVEN times whose text order ("10:00" < "9:00") is not their time order
    stamps = ["2024-03-01 9:00", "2024-03-01 10:00", "2024-03-01 11:00", "2024-03-01 8:00"]
    values = [1.0, 4.0, 9.0, 0.5]
    df = spark.createDataFrame([("a", s, v) for s, v in zip(stamps, values)], "g string, t string, x double")
    feature = TrendFeature("delta", "x")
    # THEN without a format the string column is refused, naming it
    with pytest.raises(
        FeatureInputError, match="time_col 't' has type string, which would order rows as text"
    ):
        TemporalTrendFeatures("t", ["g"]).compute(df, [feature])
    # WHEN a format parses it
    out = TemporalTrendFeatures("t", ["g"], time_format="yyyy-MM-dd H:mm").compute(df, [feature])
    # THEN rows are ordered by the parsed time, as pandas orders the parsed timestamps
    pdf = pd.DataFrame({"t": pd.to_datetime(stamps, format="%Y-%m-%d %H:%M"), "x": values}).sort_values("t")
    expected = dict(zip(pdf["x"], pdf["x"].diff()))
    got = {r["x"]: r["x_delta_1"] for r in out.collect()}
    assert got.keys() == expected.keys()
    for x, delta in expected.items():
        assert (got[x] is None and np.isnan(delta)) or got[x] == pytest.approx(delta)
    # AND a value the format does not parse is an input error naming it
    bad = df.union(spark.createDataFrame([("a", "yesterday", 2.0)], df.schema))
    with pytest.raises(
        FeatureInputError, match="value 'yesterday' does not parse with time_format 'yyyy-MM-dd H:mm'"
    ):
        TemporalTrendFeatures("t", ["g"], time_format="yyyy-MM-dd H:mm").compute(bad, [feature])
