"""FeatureValidator against numpy/scipy/pandas references, and PSI against a numpy computation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from scipy import stats as sstats

from spark_jobs.features.errors import FeatureInputError
from spark_jobs.features.feature_validator import PSI_FLOOR, STAT_COLUMNS, FeatureValidator
from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics

from ._reference import assert_close

N = 3000


def _frame(seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(10.0 + shift, 2.0, N)
    a[rng.random(N) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "a": a,
            "b": rng.exponential(3.0, N).round(1),  # skewed, many ties
            "const": np.full(N, 7.0),
            "ints": rng.integers(0, 50, N),
            "all_null": np.full(N, np.nan),
            "cat": rng.choice(["x", "y", "z"], N),
            "w": rng.integers(1, 4, N).astype(float),
        }
    )


def _spark(spark: SparkSession, pdf: pd.DataFrame) -> DataFrame:
    rows = [
        tuple(
            None if isinstance(v, float) and math.isnan(v) else (v.item() if hasattr(v, "item") else v)
            for v in r
        )
        for r in pdf.itertuples(index=False)
    ]
    schema = "a double, b double, const double, ints long, all_null double, cat string, w double"
    return spark.createDataFrame(rows, schema)


@pytest.fixture(scope="module")
def data(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[DataFrame, pd.DataFrame]:
    pdf = _frame(5)
    path = str(tmp_path_factory.mktemp("validator") / "data.parquet")
    _spark(spark, pdf).write.parquet(path)
    return spark.read.parquet(path), pdf


def _reference(x: np.ndarray) -> dict[str, float]:
    v = x[~np.isnan(x)]
    if v.size == 0:
        return {
            "mean": np.nan,
            "std": np.nan,
            "skewness": np.nan,
            "kurtosis": np.nan,
            "min": np.nan,
            "max": np.nan,
        }
    constant = v.min() == v.max()
    return {
        "mean": float(np.mean(v)),
        "std": float(np.std(v, ddof=1)) if v.size > 1 else np.nan,
        "skewness": np.nan if constant else float(sstats.skew(v, bias=True)),
        "kurtosis": np.nan if constant else float(sstats.kurtosis(v, fisher=True, bias=True)),
        "min": float(v.min()),
        "max": float(v.max()),
    }


def _assert_quantile_rank(values: np.ndarray, q: float, got: float, what: str) -> None:
    v = np.sort(values[~np.isnan(values)])
    below, at_or_below = np.mean(v < got), np.mean(v <= got)
    assert below <= q + 1e-3 and at_or_below >= q - 1e-3, (
        f"{what}: {got} has rank [{below}, {at_or_below}], not {q}"
    )


def test_statistics_match_numpy_and_scipy(data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, pdf = data
    result = FeatureValidator().validate_features(sdf)
    table = result.to_dataframe()
    assert list(table.columns) == list(STAT_COLUMNS)
    assert list(table.index) == ["a", "b", "const", "ints", "all_null", "w"]
    for name in table.index:
        x = pdf[name].to_numpy(dtype=float)
        ref = _reference(x)
        row = table.loc[name]
        for key, expected in ref.items():
            assert_close([row[key]], [expected], f"{name}.{key}")
        assert row["missing_rate"] == pytest.approx(np.isnan(x).mean(), rel=1e-12, abs=0)
        distinct = len(np.unique(x[~np.isnan(x)]))
        assert abs(row["unique_count"] - distinct) <= max(0.02 * distinct, 0), (
            name,
            row["unique_count"],
            distinct,
        )
        assert bool(row["zero_variance"]) == (distinct <= 1)
        if distinct:
            _assert_quantile_rank(x, 0.01, row["p01"], f"{name}.p01")
            _assert_quantile_rank(x, 0.99, row["p99"], f"{name}.p99")
        else:
            assert math.isnan(row["p01"]) and math.isnan(row["p99"])


def test_weights_equal_repeating_rows(data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, pdf = data
    table = (
        FeatureValidator().validate_features(sdf, columns=["a", "b", "cat"], weight_col="w").to_dataframe()
    )
    repeated = pdf.loc[pdf.index.repeat(pdf["w"].astype(int))]
    for name in ("a", "b"):
        x = repeated[name].to_numpy(dtype=float)
        for key, expected in _reference(x).items():
            assert_close([table.loc[name, key]], [expected], f"weighted {name}.{key}")
        assert table.loc[name, "missing_rate"] == pytest.approx(np.isnan(x).mean(), rel=1e-12)
    assert table.loc["cat", "unique_count"] == 3
    assert table.loc["cat", "missing_rate"] == 0.0
    assert math.isnan(table.loc["cat", "mean"])


def test_all_columns_in_two_passes(spark: SparkSession, data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = data
    metrics = SparkExecutionMetrics(spark)
    for weight_col in (None, "w"):
        _, record = metrics.track_execution(
            "validate", FeatureValidator().validate_features, sdf, None, weight_col
        )
        read = sum(s["input_records"] for s in record["stages"] if s.get("status") != "SKIPPED")
        assert read == 2 * N, (weight_col, read)


def test_empty_and_bad_input(spark: SparkSession, data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = data
    validator = FeatureValidator()
    with pytest.raises(FeatureInputError, match="no rows"):
        validator.validate_features(sdf.limit(0))
    with pytest.raises(FeatureInputError, match="'nope'"):
        validator.validate_features(sdf, columns=["a", "nope"])
    with pytest.raises(FeatureInputError, match="negative values"):
        validator.validate_features(sdf.withColumn("w", sdf["w"] - 2), weight_col="w")


def _psi_reference(expected: np.ndarray, actual: np.ndarray, edges: np.ndarray) -> tuple[float, np.ndarray]:
    def shares(x: np.ndarray) -> np.ndarray:
        v = x[~np.isnan(x)]
        counts = np.bincount(np.searchsorted(edges, v, side="left"), minlength=len(edges) + 1).astype(float)
        out = counts / x.size
        nulls = np.isnan(x).sum() / x.size
        return np.append(out, nulls)

    e, a = shares(expected), shares(actual)
    if e[-1] == 0 and a[-1] == 0:
        e, a = e[:-1], a[:-1]
    e, a = np.maximum(e, PSI_FLOOR), np.maximum(a, PSI_FLOOR)
    contributions = (a - e) * np.log(a / e)
    return float(contributions.sum()), contributions


@pytest.mark.parametrize(("column", "shift"), [("a", 0.0), ("a", 1.5), ("b", 0.0), ("ints", 0.0)])
def test_psi_matches_numpy(
    spark: SparkSession, data: tuple[DataFrame, pd.DataFrame], column: str, shift: float
) -> None:
    sdf, pdf = data
    actual_pdf = _frame(6, shift=shift)
    result = FeatureValidator().compute_psi(sdf, _spark(spark, actual_pdf), column, bins=10, breakdown=True)
    expected_values = pdf[column].to_numpy(dtype=float)
    probs = np.arange(1, 10) / 10
    # percentile_approx is exact on data this small: the smallest value whose CDF reaches q.
    v = expected_values[~np.isnan(expected_values)]
    edges = np.unique(np.quantile(v, probs, method="inverted_cdf"))
    psi, contributions = _psi_reference(expected_values, actual_pdf[column].to_numpy(dtype=float), edges)
    assert result.breakdown is not None
    assert_close(result.breakdown["upper"].iloc[: len(edges)], edges, "edges")
    assert_close(result.breakdown["contribution"], contributions, "per-bin contributions")
    assert result.psi == pytest.approx(psi, rel=1e-9)
    assert result.reading == ("stable" if psi < 0.1 else "watch" if psi <= 0.25 else "shifted")
    if shift:
        assert result.psi > 0.25


def test_psi_weighted_equals_repeated_rows_and_floor_applies(spark: SparkSession) -> None:
    expected = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], "w": [1.0, 2, 1, 3, 1, 1, 2, 1]})
    actual = pd.DataFrame({"x": [1.0, 1.0, 2.0, 8.0, 9.0], "w": [2.0, 1, 1, 1, 3]})
    e_sdf = spark.createDataFrame(expected)
    a_sdf = spark.createDataFrame(actual)
    validator = FeatureValidator()
    weighted = validator.compute_psi(e_sdf, a_sdf, "x", bins=4, weight_col="w", breakdown=True)
    # Weights do not move the edges (quantiles of the unweighted expected data): 2, 4, 6.
    edges = np.array([2.0, 4.0, 6.0])
    e_rep = np.repeat(expected["x"].to_numpy(), expected["w"].astype(int))
    a_rep = np.repeat(actual["x"].to_numpy(), actual["w"].astype(int))
    psi, contributions = _psi_reference(e_rep, a_rep, edges)
    assert weighted.breakdown is not None
    assert_close(weighted.breakdown["contribution"], contributions, "weighted contributions")
    assert weighted.psi == pytest.approx(psi, rel=1e-12)
    # Bins (2, 4] and (4, 6] are empty in the actual data: their shares are floored, not zero.
    empty = weighted.breakdown[weighted.breakdown["actual_share"] == 0.0]
    assert empty["bin"].tolist() == [1, 2] and (empty["actual_floored"] == PSI_FLOOR).all()


def test_psi_categorical_with_nulls(spark: SparkSession) -> None:
    e = spark.createDataFrame([("a",)] * 5 + [("b",)] * 3 + [(None,)] * 2, "c string")
    a = spark.createDataFrame([("a",)] * 2 + [("c",)] * 6 + [(None,)] * 2, "c string")
    result = FeatureValidator().compute_psi(e, a, "c", breakdown=True)
    es = np.array([0.5, 0.3, PSI_FLOOR, 0.2])
    as_ = np.array([0.2, PSI_FLOOR, 0.6, 0.2])
    assert result.breakdown is not None
    assert result.breakdown["bin"].tolist() == ["a", "b", "c", "missing"]
    assert result.psi == pytest.approx(float(((as_ - es) * np.log(as_ / es)).sum()), rel=1e-12)


def test_psi_identical_data_is_zero(
    spark: SparkSession, data: tuple[DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    sdf, _ = data
    result = FeatureValidator().compute_psi(sdf, sdf, "b", bins=20)
    assert result.psi == 0.0 and result.reading == "stable"
    with pytest.raises(FeatureInputError, match="bins must be an integer >= 2"):
        FeatureValidator().compute_psi(sdf, sdf, "b", bins=1)


def test_psi_of_many_columns_costs_the_jobs_of_one_and_equals_each_column_and_numpy(
    spark: SparkSession, data: tuple[DataFrame, pd.DataFrame]
) -> None:
    sdf, pdf = data
    actual_pdf = _frame(6, shift=0.7)
    actual = _spark(spark, actual_pdf)
    columns = ["a", "b", "ints", "cat"]
    validator = FeatureValidator()
    metrics = SparkExecutionMetrics(spark)
    for weight_col in (None, "w"):
        many, record = metrics.track_execution(
            "psi", validator.compute_psi_many, sdf, actual, columns, 10, weight_col, True
        )
        # Four columns cost the Spark jobs of one (edges, then one aggregation per side).
        _, one_column = metrics.track_execution(
            "psi-one", validator.compute_psi, sdf, actual, "a", 10, weight_col, True
        )
        assert len(record["jobs"]) == len(one_column["jobs"]), (record["jobs"], one_column["jobs"])
        for one in many:
            single = validator.compute_psi(sdf, actual, one.column, 10, weight_col, True)
            assert one.column == single.column and one.bins == single.bins
            assert one.psi == pytest.approx(single.psi, rel=1e-12, abs=1e-15)
            assert one.breakdown is not None and single.breakdown is not None
            assert one.breakdown["bin"].tolist() == single.breakdown["bin"].tolist()
            assert_close(one.breakdown["contribution"], single.breakdown["contribution"], one.column)
    # Unweighted numeric columns against the numpy reference, as test_psi_matches_numpy does for one.
    by_column = {r.column: r for r in validator.compute_psi_many(sdf, actual, ["a", "b"], bins=10)}
    for name in ("a", "b"):
        expected_values = pdf[name].to_numpy(dtype=float)
        v = expected_values[~np.isnan(expected_values)]
        edges = np.unique(np.quantile(v, np.arange(1, 10) / 10, method="inverted_cdf"))
        psi, _ = _psi_reference(expected_values, actual_pdf[name].to_numpy(dtype=float), edges)
        assert by_column[name].psi == pytest.approx(psi, rel=1e-9)
    with pytest.raises(FeatureInputError, match="no non-null values in 'all_null'"):
        validator.compute_psi_many(sdf, actual, ["a", "all_null"])
