"""CategoricalEncoder against pandas references of the same formulas (weighted and unweighted)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.features.categorical_encoder import CategoricalEncoder, FittedEncoding
from spark_jobs.features.errors import FeatureInputError

from ._reference import assert_close, to_pandas_sorted

CATEGORIES = ["a", "b", "c", "d", "rare1", "rare2", None]
PROBS = [0.35, 0.25, 0.15, 0.12, 0.01, 0.02, 0.10]


@pytest.fixture(scope="module")
def data(spark: SparkSession) -> tuple[DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 400
    cat = rng.choice(np.array(CATEGORIES, dtype=object), size=n, p=PROBS)
    label = (rng.random(n) < 0.3).astype(int)
    weight = rng.choice([0.5, 1.0, 2.0, 3.25], size=n)
    pdf = pd.DataFrame({"id": np.arange(n), "cat": cat, "label": label, "w": weight})
    rows = [
        (int(i), None if pd.isna(c) else c, int(y), float(w)) for i, c, y, w in pdf.itertuples(index=False)
    ]
    sdf = spark.createDataFrame(rows, "id long, cat string, label int, w double").cache()
    return sdf, pdf


def _labels(values: pd.Series) -> list[str | None]:
    """pandas 3 turns None into NaN in string columns; compare labels with None for missing."""
    return [None if pd.isna(v) else v for v in values]


def _freq_reference(pdf: pd.DataFrame, weighted: bool) -> pd.Series:
    w = pdf["w"] if weighted else pd.Series(1.0, index=pdf.index)
    shares = w.groupby(pdf["cat"].fillna("<null>")).sum() / w.sum()
    return pdf["cat"].fillna("<null>").map(shares)


def _m_estimate_reference(pdf: pd.DataFrame, m: float, weighted: bool) -> tuple[pd.Series, float]:
    w = pdf["w"] if weighted else pd.Series(1.0, index=pdf.index)
    prior = float((w * pdf["label"]).sum() / w.sum())
    grouped = pd.DataFrame({"cat": pdf["cat"], "w": w, "wy": w * pdf["label"]}).groupby("cat").sum()
    encoded = (grouped["wy"] + m * prior) / (grouped["w"] + m)
    return pdf["cat"].map(encoded).fillna(prior), prior


@pytest.mark.parametrize("weighted", [False, True])
def test_frequency_matches_pandas_shares_with_null_as_a_category(
    data: tuple[DataFrame, pd.DataFrame], weighted: bool
) -> None:
    sdf, pdf = data
    out = CategoricalEncoder().freq_encoding(sdf, "cat", weight_col="w" if weighted else None)
    got = to_pandas_sorted(out, ["id"])
    assert_close(got["cat_freq"], _freq_reference(pdf, weighted), "freq")
    if not weighted:
        counts = pdf["cat"].fillna("<null>").value_counts(normalize=True)
        assert_close(got["cat_freq"], pdf["cat"].fillna("<null>").map(counts), "value_counts")


@pytest.mark.parametrize(("m", "weighted"), [(1.0, False), (10.0, False), (0.0, False), (5.0, True)])
def test_target_mean_is_the_m_estimate(
    data: tuple[DataFrame, pd.DataFrame], m: float, weighted: bool
) -> None:
    sdf, pdf = data
    encoder = CategoricalEncoder()
    out = encoder.target_mean_encoding(sdf, "cat", "label", smoothing=m, weight_col="w" if weighted else None)
    expected, prior = _m_estimate_reference(pdf, m, weighted)
    got = to_pandas_sorted(out, ["id"])
    assert_close(got["cat_target_mean"], expected, "m-estimate")
    assert encoder.fitted["cat_target_mean"].unseen_value == pytest.approx(prior, rel=1e-12)


def test_target_mean_by_hand_on_a_tiny_table(spark: SparkSession) -> None:
    # MEstimateEncoder(m=1): prior = 2/5; a: (1 + 0.4) / (2 + 1); b: (1 + 0.4) / (3 + 1).
    sdf = spark.createDataFrame(
        [(0, "a", 1), (1, "a", 0), (2, "b", 1), (3, "b", 0), (4, "b", 0)], "id int, cat string, y int"
    )
    got = to_pandas_sorted(CategoricalEncoder().target_mean_encoding(sdf, "cat", "y"), ["id"])
    assert_close(got["cat_target_mean"], [1.4 / 3, 1.4 / 3, 1.4 / 4, 1.4 / 4, 1.4 / 4], "hand")


@pytest.mark.parametrize(("min_frequency", "weighted"), [(0.05, False), (0.12, True), (0.0, False)])
def test_rare_grouping_matches_pandas(
    data: tuple[DataFrame, pd.DataFrame], min_frequency: float, weighted: bool
) -> None:
    sdf, pdf = data
    out = CategoricalEncoder().rare_grouping(
        sdf, "cat", min_frequency=min_frequency, other_label="OTHER", weight_col="w" if weighted else None
    )
    w = pdf["w"] if weighted else pd.Series(1.0, index=pdf.index)
    shares = w.groupby(pdf["cat"].fillna("<null>")).sum() / w.sum()
    expected = [None if pd.isna(c) else (c if shares[c] >= min_frequency else "OTHER") for c in pdf["cat"]]
    got = to_pandas_sorted(out, ["id"])
    assert _labels(got["cat_grouped"]) == expected


def test_saved_mappings_apply_to_new_data_with_unseen_and_null(
    spark: SparkSession, data: tuple[DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    sdf, pdf = data
    encoder = CategoricalEncoder()
    encoder.fit_frequency(sdf, "cat")
    encoder.fit_target_mean(sdf, "cat", "label", smoothing=2.0, weight_col="w")
    encoder.fit_rare(sdf, "cat", min_frequency=0.05)
    uri = "file://" + str(tmp_path / "encoders.json")
    encoder.save(spark, uri)
    loaded = CategoricalEncoder.load(spark, uri)
    assert {k: v.to_dict() for k, v in loaded.fitted.items()} == {
        k: v.to_dict() for k, v in encoder.fitted.items()
    }

    new = spark.createDataFrame([(0, "a"), (1, "never-seen"), (2, None), (3, "rare1")], "id int, cat string")
    got = to_pandas_sorted(loaded.transform(new), ["id"])
    freq = pdf["cat"].fillna("<null>").value_counts(normalize=True)
    _, prior = _m_estimate_reference(pdf, 2.0, True)
    expected_te, _ = _m_estimate_reference(pdf, 2.0, True)
    te_a = float(expected_te[pdf["cat"] == "a"].iloc[0])
    te_rare1 = float(expected_te[pdf["cat"] == "rare1"].iloc[0])
    assert_close(got["cat_freq"], [freq["a"], 0.0, freq["<null>"], freq["rare1"]], "freq new")
    assert_close(got["cat_target_mean"], [te_a, prior, prior, te_rare1], "target new")
    assert _labels(got["cat_grouped"]) == ["a", "__OTHER__", None, "__OTHER__"]

    single = FittedEncoding.load(spark, encoder.fitted["cat_freq"].save(spark, uri + ".one"))
    assert single == encoder.fitted["cat_freq"]


def test_integer_categories_and_lookup_is_a_broadcast_join(spark: SparkSession) -> None:
    sdf = spark.createDataFrame([(i, i % 3 if i % 5 else None) for i in range(30)], "id int, code int")
    out = CategoricalEncoder().freq_encoding(sdf, "code")
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert "BroadcastHashJoin" in plan, plan
    pdf = pd.DataFrame({"id": range(30), "code": [i % 3 if i % 5 else None for i in range(30)]})
    keys = pdf["code"].astype(object).where(pdf["code"].notna(), "<null>")
    got = to_pandas_sorted(out, ["id"])
    assert_close(got["code_freq"], keys.map(keys.value_counts(normalize=True)), "int")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda e, df: e.target_mean_encoding(df, "cat", "missing_target"),
            "target column 'missing_target' not found",
        ),
        (lambda e, df: e.target_mean_encoding(df, "cat", "cat"), "numeric"),
        (lambda e, df: e.freq_encoding(df, "cat", weight_col="neg"), "negative values"),
        (lambda e, df: e.freq_encoding(df, "cat", weight_col="nullw"), "null value"),
        (lambda e, df: e.freq_encoding(df, "x"), "categorical column must be string, integer or boolean"),
        (lambda e, df: e.freq_encoding(df, "nope"), "not found"),
        (lambda e, df: e.rare_grouping(df, "cat", min_frequency=1.5), "min_frequency must be in"),
        (lambda e, df: e.target_mean_encoding(df, "cat", "y", smoothing=-1), "smoothing must be"),
        (lambda e, df: e.freq_encoding(df.limit(0), "cat"), "no rows"),
    ],
)
def test_bad_input_names_the_problem(spark: SparkSession, call, message: str) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(
        [("a", 1.0, -1.0, None, 1), ("b", 2.0, 1.0, 1.0, 0)],
        "cat string, x double, neg double, nullw double, y int",
    )
    with pytest.raises(FeatureInputError, match=message):
        call(CategoricalEncoder(), df)
