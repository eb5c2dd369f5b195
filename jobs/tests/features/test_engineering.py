"""Derived features (group aggregations, row operations, dependency order) and data-quality checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.features.engineering import (
    GroupAggregation,
    RowOperation,
    add_derived_features,
    data_quality_checks,
    dependency_layers,
    parse_group_aggregation,
    parse_row_operation,
)
from spark_jobs.features.errors import FeatureInputError, FeatureSpecError

from ._reference import assert_close, to_pandas_sorted


@pytest.fixture(scope="module")
def data(spark: SparkSession) -> tuple[DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(9)
    n = 300
    amount = rng.normal(50, 30, n).round(0)
    amount[rng.random(n) < 0.1] = np.nan
    pdf = pd.DataFrame(
        {
            "id": np.arange(n),
            "cust": rng.choice(["a", "b", "c", "solo"], n, p=[0.5, 0.3, 0.2 - 1 / n, 1 / n]),
            "amount": amount,
            "qty": rng.integers(0, 4, n).astype(float),
            "cat": rng.choice(["x", "y"], n),
        }
    )
    rows = [
        (int(i), str(c), None if np.isnan(a) else float(a), float(q), str(k))
        for i, c, a, q, k in pdf.itertuples(index=False)
    ]
    return spark.createDataFrame(
        rows, "id long, cust string, amount double, qty double, cat string"
    ).cache(), pdf


SPEC_AGGS = [
    {"name": "cust_n", "group_by": ["cust"], "agg": "count"},
    {"name": "cust_amount_n", "group_by": ["cust"], "agg": "count", "column": "amount"},
    {"name": "cust_sum", "group_by": ["cust"], "agg": "sum", "column": "amount"},
    {"name": "cust_mean", "group_by": ["cust"], "agg": "mean", "column": "amount"},
    {"name": "cust_min", "group_by": "cust", "agg": "min", "column": "amount"},
    {"name": "cust_max", "group_by": ["cust"], "agg": "max", "column": "amount"},
    {"name": "cust_std", "group_by": ["cust"], "agg": "std", "column": "amount"},
    {"name": "cust_cats", "group_by": ["cust"], "agg": "distinct_count", "column": "cat"},
    {"name": "cust_cat_mean", "group_by": ["cust", "cat"], "agg": "mean", "column": "qty"},
]
SPEC_OPS = [
    # Declared before their inputs on purpose: order comes from dependencies, not the list.
    {"name": "rel_to_mean", "op": "ratio", "inputs": ["amount", "cust_mean"]},
    {"name": "log_rel", "op": "log1p", "inputs": ["rel_clip"]},
    {"name": "rel_clip", "op": "clip", "inputs": ["rel_to_mean"], "lower": 0, "upper": 2.5},
    {"name": "per_qty", "op": "ratio", "inputs": ["amount", "qty"]},
    {"name": "gap", "op": "difference", "inputs": ["cust_max", "amount"]},
    {"name": "total", "op": "product", "inputs": ["amount", "qty"]},
    {"name": "root", "op": "sqrt", "inputs": ["amount"]},
    {"name": "log_amount", "op": "log1p", "inputs": ["amount"]},
]


def _reference(pdf: pd.DataFrame) -> pd.DataFrame:
    r = pdf.copy()
    g = r.groupby("cust")["amount"]
    r["cust_n"] = r.groupby("cust")["id"].transform("size")
    r["cust_amount_n"] = g.transform("count")
    r["cust_sum"] = g.transform(lambda s: s.sum(min_count=1))
    r["cust_mean"] = g.transform("mean")
    r["cust_min"] = g.transform("min")
    r["cust_max"] = g.transform("max")
    r["cust_std"] = g.transform(lambda s: s.std(ddof=1))
    r["cust_cats"] = r.groupby("cust")["cat"].transform("nunique")
    r["cust_cat_mean"] = r.groupby(["cust", "cat"])["qty"].transform("mean")
    with np.errstate(divide="ignore", invalid="ignore"):
        r["rel_to_mean"] = (r["amount"] / r["cust_mean"]).replace([np.inf, -np.inf], np.nan)
        r["rel_clip"] = r["rel_to_mean"].clip(0, 2.5)
        r["log_rel"] = np.log1p(r["rel_clip"])
        r["per_qty"] = (r["amount"] / r["qty"]).replace([np.inf, -np.inf], np.nan)
        r["gap"] = r["cust_max"] - r["amount"]
        r["total"] = r["amount"] * r["qty"]
        r["root"] = np.sqrt(r["amount"].where(r["amount"] >= 0))
        r["log_amount"] = np.log1p(r["amount"].where(r["amount"] > -1))
    return r


def test_derived_features_match_pandas(data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, pdf = data
    features = [parse_group_aggregation(a) for a in SPEC_AGGS] + [parse_row_operation(o) for o in SPEC_OPS]
    got = to_pandas_sorted(add_derived_features(sdf, features), ["id"])
    expected = _reference(pdf)
    assert (pdf["amount"] < 0).any() and (pdf["qty"] == 0).any()  # the null-producing branches are exercised
    for f in features:
        assert_close(got[f.name], expected[f.name], f.name)


def test_layers_follow_dependencies() -> None:
    features = [parse_row_operation(o) for o in SPEC_OPS] + [parse_group_aggregation(a) for a in SPEC_AGGS]
    layers = dependency_layers(features, ["id", "cust", "amount", "qty", "cat"])
    position = {f.name: i for i, layer in enumerate(layers) for f in layer}
    assert position["cust_mean"] < position["rel_to_mean"] < position["rel_clip"] < position["log_rel"]
    assert len(layers) == 4


def test_unknown_input_and_cycle_are_named() -> None:
    ops = [
        RowOperation("a", "log1p", ("b",)),
        RowOperation("b", "sqrt", ("c",)),
        RowOperation("c", "sqrt", ("a",)),
    ]
    with pytest.raises(FeatureSpecError, match=r"dependency cycle among derived features: a -> b -> c -> a"):
        dependency_layers(ops, ["x"])
    with pytest.raises(FeatureSpecError, match="feature 'r' uses unknown input 'nope'"):
        dependency_layers([RowOperation("r", "ratio", ("x", "nope"))], ["x"])
    with pytest.raises(FeatureSpecError, match="clashes with an existing column"):
        dependency_layers([GroupAggregation("x", ("x",), "count")], ["x"])
    with pytest.raises(FeatureSpecError, match="op 'ratio' takes 2 input"):
        parse_row_operation({"name": "r", "op": "ratio", "inputs": ["x"]})
    with pytest.raises(FeatureSpecError, match="agg must be one of"):
        parse_group_aggregation({"name": "g", "agg": "median", "group_by": ["x"], "column": "y"})
    with pytest.raises(FeatureSpecError, match="unknown key"):
        parse_row_operation({"name": "r", "op": "sqrt", "inputs": ["x"], "lowr": 1})


def test_wrong_type_is_named(data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = data
    with pytest.raises(FeatureInputError, match="column 'cat' has type string"):
        add_derived_features(sdf, [RowOperation("r", "sqrt", ("cat",))])


def test_data_quality_matches_pandas(spark: SparkSession, data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, pdf = data
    report = data_quality_checks(
        sdf,
        ranges={"amount": [0, 100], "qty": [None, 2]},
        iqr_columns=["amount", "qty"],
        duplicate_subset=["cust", "qty", "cat"],
    ).to_dict()
    assert report["rows"] == len(pdf)
    assert report["duplicate_rows"] == int(pdf.duplicated(subset=["cust", "qty", "cat"]).sum())
    a = pdf["amount"]
    assert report["ranges"]["amount"]["violations"] == int(((a < 0) | (a > 100)).sum())
    assert report["ranges"]["qty"]["violations"] == int((pdf["qty"] > 2).sum())
    for name in ("amount", "qty"):
        v = pdf[name].dropna().to_numpy()
        q1, q3 = np.quantile(v, [0.25, 0.75], method="inverted_cdf")
        lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        entry = report["iqr_outliers"][name]
        assert (entry["q1"], entry["q3"]) == (q1, q3)
        assert entry["outliers"] == int(((v < lo) | (v > hi)).sum())
    full = data_quality_checks(sdf.union(sdf.limit(7)))
    assert full.duplicate_rows == 7


def test_data_quality_bad_input(data: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = data
    with pytest.raises(FeatureInputError, match="must be \\[min, max\\]"):
        data_quality_checks(sdf, ranges={"amount": [1]})
    with pytest.raises(FeatureInputError, match="numeric"):
        data_quality_checks(sdf, iqr_columns=["cat"])
