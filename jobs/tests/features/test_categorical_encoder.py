"""CategoricalEncoder against pandas references of the same formulas (weighted and unweighted),
scikit-learn's TargetEncoder (cross-fitting on the same folds) and category_encoders' MEstimateEncoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.features import categorical_encoder
from spark_jobs.features.categorical_encoder import (
    CategoricalEncoder,
    EncodingRequest,
    FittedEncoding,
    fold_expression,
)
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
    out = encoder.target_mean_encoding(
        sdf, "cat", "label", smoothing=m, weight_col="w" if weighted else None, cv=0
    )
    expected, prior = _m_estimate_reference(pdf, m, weighted)
    got = to_pandas_sorted(out, ["id"])
    assert_close(got["cat_target_mean"], expected, "m-estimate")
    assert encoder.fitted["cat_target_mean"].unseen_value == pytest.approx(prior, rel=1e-12)


def test_target_mean_by_hand_on_a_tiny_table(spark: SparkSession) -> None:
    # MEstimateEncoder(m=1): prior = 2/5; a: (1 + 0.4) / (2 + 1); b: (1 + 0.4) / (3 + 1).
    sdf = spark.createDataFrame(
        [(0, "a", 1), (1, "a", 0), (2, "b", 1), (3, "b", 0), (4, "b", 0)], "id int, cat string, y int"
    )
    got = to_pandas_sorted(CategoricalEncoder().target_mean_encoding(sdf, "cat", "y", cv=0), ["id"])
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


@pytest.mark.parametrize("lookup", ["map literal", "broadcast join"])
def test_saved_mappings_apply_to_new_data_with_unseen_and_null(
    spark: SparkSession,
    data: tuple[DataFrame, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lookup: str,
) -> None:
    if lookup == "broadcast join":
        monkeypatch.setattr(categorical_encoder, "LITERAL_LOOKUP_MAX", 0)
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


@pytest.mark.parametrize("limit", [categorical_encoder.LITERAL_LOOKUP_MAX, 2])
def test_integer_categories_by_map_literal_or_broadcast_join(
    spark: SparkSession, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    # Three categories plus null: a map literal in the plan by default, a broadcast join above the limit.
    monkeypatch.setattr(categorical_encoder, "LITERAL_LOOKUP_MAX", limit)
    sdf = spark.createDataFrame([(i, i % 3 if i % 5 else None) for i in range(30)], "id int, code int")
    out = CategoricalEncoder().freq_encoding(sdf, "code")
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert ("BroadcastHashJoin" in plan) == (limit < 4), plan
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


# --- cross-fitting (out-of-fold target means) and one-pass fitting ---------------------------------

K = 5


@pytest.fixture(scope="module")
def folded(spark: SparkSession) -> tuple[DataFrame, pd.DataFrame]:
    """Rows with a declared fold column, a 0/1 label, a float target and weights; categories all set."""
    rng = np.random.default_rng(23)
    n = 600
    cat = rng.choice(
        np.array(["a", "b", "c", "d", "e", "tiny"]), size=n, p=[0.3, 0.25, 0.2, 0.15, 0.095, 0.005]
    )
    pdf = pd.DataFrame(
        {
            "id": np.arange(n),
            "cat": cat,
            "label": (rng.random(n) < np.where(cat == "a", 0.5, 0.2)).astype(int),
            "amount": np.round(rng.lognormal(2.0, 0.7, n), 3),
            "w": rng.choice([0.5, 1.0, 2.0], size=n),
            "fold": rng.integers(0, K, n),
        }
    )
    rows = [
        (int(i), c, int(y), float(a), float(w), int(f)) for i, c, y, a, w, f in pdf.itertuples(index=False)
    ]
    schema = "id long, cat string, label int, amount double, w double, fold int"
    return spark.createDataFrame(rows, schema).cache(), pdf


def _sklearn(pdf: pd.DataFrame, target: str, folds: np.ndarray, m: float, target_type: str):  # type: ignore[no-untyped-def]
    from sklearn.model_selection import PredefinedSplit
    from sklearn.preprocessing import TargetEncoder

    # shuffle/random_state only apply to an integer cv; with a splitter the folds are exactly these.
    enc = TargetEncoder(target_type=target_type, smooth=m, cv=PredefinedSplit(folds))
    oof = enc.fit_transform(pdf[["cat"]], pdf[target])[:, 0]
    return enc, oof


@pytest.mark.parametrize(
    ("target", "m", "target_type"),
    [
        ("label", 20.0, "continuous"),
        ("label", 2.5, "binary"),
        ("amount", 0.0, "continuous"),
        ("amount", 7.5, "continuous"),
    ],
)
def test_cross_fitting_matches_sklearn_target_encoder_on_the_same_folds(
    folded: tuple[DataFrame, pd.DataFrame], target: str, m: float, target_type: str
) -> None:
    sdf, pdf = folded
    encoder = CategoricalEncoder()
    out = encoder.target_mean_encoding(sdf, "cat", target, smoothing=m, fold_col="fold")
    got = to_pandas_sorted(out, ["id"])
    enc, oof = _sklearn(pdf, target, pdf["fold"].to_numpy(), m, target_type)
    np.testing.assert_allclose(got["cat_target_mean"].to_numpy(float), oof, rtol=1e-12, atol=1e-15)
    # The saved mapping (what new data gets) is sklearn's full-data encoding.
    fitted = encoder.fitted["cat_target_mean"]
    expected_map = dict(zip(enc.categories_[0], enc.encodings_[0]))
    assert set(fitted.mapping()) == set(expected_map)
    for key, value in fitted.mapping().items():
        assert value == pytest.approx(expected_map[key], rel=1e-12, abs=1e-15)
    assert fitted.unseen_value == pytest.approx(float(enc.target_mean_), rel=1e-12)
    new = pd.DataFrame({"id": [0, 1, 2], "cat": ["c", "never-seen", "tiny"]})
    applied = to_pandas_sorted(fitted.transform(sdf.sparkSession.createDataFrame(new)), ["id"])
    np.testing.assert_allclose(
        applied["cat_target_mean"].to_numpy(float), enc.transform(new[["cat"]])[:, 0], rtol=1e-12
    )


def test_hash_folds_are_deterministic_balanced_and_match_sklearn(
    spark: SparkSession, folded: tuple[DataFrame, pd.DataFrame]
) -> None:
    sdf, pdf = folded
    encoder = CategoricalEncoder()
    got = to_pandas_sorted(encoder.target_mean_encoding(sdf, "cat", "label", smoothing=3.0, cv=K), ["id"])
    fitted = encoder.fitted["cat_target_mean"]
    assert fitted.params["fold_key"] == sdf.columns and fitted.params["cv"] == K
    folds = to_pandas_sorted(sdf.select("id", fold_expression(fitted.params).alias("f")), ["id"])["f"]
    shares = folds.value_counts(normalize=True)
    assert sorted(shares.index) == list(range(K)) and shares.between(0.12, 0.28).all(), shares
    _, oof = _sklearn(pdf, "label", folds.to_numpy(), 3.0, "continuous")
    np.testing.assert_allclose(got["cat_target_mean"].to_numpy(float), oof, rtol=1e-12, atol=1e-15)
    # Same rows in another order and partitioning: the same folds, so the same values.
    shuffled = sdf.orderBy(F.rand(5)).repartition(3)
    again = to_pandas_sorted(CategoricalEncoder().target_mean_encoding(shuffled, "cat", "label", 3.0), ["id"])
    np.testing.assert_array_equal(again["cat_target_mean"].to_numpy(), got["cat_target_mean"].to_numpy())


def test_fold_key_keeps_each_key_in_one_fold(folded: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = folded
    keyed = sdf.withColumn("customer", (F.col("id") % 37).cast("string"))
    encoder = CategoricalEncoder()
    encoder.fit_target_mean(keyed, "cat", "label", 4.0, fold_key=["customer"])
    params = encoder.fitted["cat_target_mean"].params
    per_key = keyed.groupBy("customer").agg(F.countDistinct(fold_expression(params)).alias("n")).collect()
    assert {r["n"] for r in per_key} == {1}


def test_weighted_cross_fitting_with_null_category_matches_pandas(
    data: tuple[DataFrame, pd.DataFrame],
) -> None:
    """Fold k gets the weighted m-estimate of the other folds; null (and absent) categories their prior."""
    sdf, pdf = data
    keyed = sdf.withColumn("fold", (F.col("id") % 3).cast("int"))
    m = 5.0
    got = to_pandas_sorted(
        CategoricalEncoder().target_mean_encoding(keyed, "cat", "label", m, weight_col="w", fold_col="fold"),
        ["id"],
    )
    folds = pdf["id"] % 3
    expected = pd.Series(np.nan, index=pdf.index)
    for k in range(3):
        train, test = pdf[folds != k], folds == k
        prior = float((train["w"] * train["label"]).sum() / train["w"].sum())
        g = pd.DataFrame({"cat": train["cat"], "w": train["w"], "wy": train["w"] * train["label"]})
        g = g.groupby("cat").sum()
        mapping = (g["wy"] + m * prior) / (g["w"] + m)
        expected[test] = pdf.loc[test, "cat"].map(mapping).fillna(prior)
    assert_close(got["cat_target_mean"], expected, "weighted out-of-fold")


@pytest.mark.parametrize("m", [1.0, 20.0, 0.0])
def test_cv_0_is_category_encoders_m_estimate(data: tuple[DataFrame, pd.DataFrame], m: float) -> None:
    from category_encoders import MEstimateEncoder

    sdf, pdf = data
    got = to_pandas_sorted(CategoricalEncoder().target_mean_encoding(sdf, "cat", "label", m, cv=0), ["id"])
    ce = MEstimateEncoder(cols=["cat"], m=m, handle_missing="value", handle_unknown="value")
    X = pd.DataFrame({"cat": pdf["cat"].astype(object)})
    expected = ce.fit_transform(X, pdf["label"])["cat"]
    # category_encoders 2.11 learns null as a category of its own; ours maps null to the prior.
    seen = pdf["cat"].notna().to_numpy()
    assert_close(got["cat_target_mean"][seen], expected[seen], "MEstimateEncoder")
    assert_close(got["cat_target_mean"][~seen], [pdf["label"].mean()] * int((~seen).sum()), "null: prior")


def test_all_encoders_fit_in_one_aggregation_job_with_the_same_results(
    spark: SparkSession, data: tuple[DataFrame, pd.DataFrame]
) -> None:
    sdf, _ = data
    keyed = sdf.withColumn("flag", F.col("id") % 4 == 0).withColumn("code", (F.col("id") % 7).cast("int"))
    requests = [
        EncodingRequest("frequency", "cat", weight_col="w"),
        EncodingRequest("target_mean", "cat", target_col="label", smoothing=2.0, weight_col="w", cv=4),
        EncodingRequest("rare", "cat", min_frequency=0.05),
        EncodingRequest("frequency", "flag", "flag_freq"),
        EncodingRequest("target_mean", "code", target_col="label", cv=0),
    ]

    groups = iter(range(1000))

    def jobs_of(run) -> int:  # type: ignore[no-untyped-def]
        """Spark jobs started by ``run`` (an aggregation is 1-2 jobs: shuffle map stage, result)."""
        tracker = spark.sparkContext.statusTracker()
        group = f"encoder-fit-{next(groups)}"
        spark.sparkContext.setJobGroup(group, group)
        try:
            run()
        finally:
            spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
        return len(tracker.getJobIdsForGroup(group))

    keyed.count()  # materialize the cached input first, so only the fits' own jobs are counted
    together = CategoricalEncoder()
    n_together = jobs_of(lambda: together.fit_all(keyed, requests))
    one = jobs_of(lambda: CategoricalEncoder().fit_all(keyed, requests[:1]))
    separate = CategoricalEncoder()
    n_separate = jobs_of(lambda: [separate.fit_all(keyed, [r]) for r in requests])
    assert n_together == one and n_separate == len(requests) * one, (n_together, one, n_separate)
    assert list(together.fitted) == list(separate.fitted)
    for name, fitted in together.fitted.items():
        alone = separate.fitted[name]
        assert fitted.categories == alone.categories and fitted.params == alone.params
        assert_close(
            fitted.values if fitted.kind != "rare" else [],
            alone.values if fitted.kind != "rare" else [],
            name,
        )
        assert fitted.out_of_fold == alone.out_of_fold
    flag = together.fitted["flag_freq"]
    assert flag.categories == (False, True) and flag.values == pytest.approx((0.75, 0.25))
    assert together.fitted["code_target_mean"].categories == tuple(range(7))


def test_cross_fitted_encoder_saves_and_reloads(
    spark: SparkSession, folded: tuple[DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    sdf, _ = folded
    encoder = CategoricalEncoder()
    encoder.fit_target_mean(sdf, "cat", "label", 2.0, fold_col="fold")
    uri = encoder.save(spark, "file://" + str(tmp_path / "enc.json"))
    loaded = CategoricalEncoder.load(spark, uri)
    assert loaded.fitted == encoder.fitted
    a = to_pandas_sorted(loaded.transform_training(sdf), ["id"])["cat_target_mean"]
    b = to_pandas_sorted(encoder.transform_training(sdf), ["id"])["cat_target_mean"]
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FeatureInputError, match="not valid JSON"):
        CategoricalEncoder.load(spark, "file://" + str(tmp_path / "bad.json"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cv": 1}, "cv must be 0 .no cross-fitting. or an integer >= 2, got 1"),
        ({"cv": -3}, "cv must be 0"),
        ({"fold_col": "cat"}, "fold_col 'cat' has type string; fold ids must be integers"),
        ({"fold_col": "nofold"}, "fold_col"),
        ({"fold_key": ["ghost"]}, "fold_key"),
        ({"fold_col": "nullfold"}, "fold_col 'nullfold' has 1 null value"),
        ({"fold_col": "negfold"}, "negative ids"),
        ({"fold_col": "onefold"}, "at least 2 folds"),
    ],
)
def test_bad_cross_fitting_input_names_the_problem(spark: SparkSession, kwargs: dict, message: str) -> None:
    df = spark.createDataFrame(
        [("a", 1, 0, -1, 0), ("b", 0, None, 1, 0), ("a", 0, 1, 2, 0)],
        "cat string, y int, nullfold int, negfold int, onefold int",
    )
    with pytest.raises(FeatureInputError, match=message):
        CategoricalEncoder().fit_target_mean(df, "cat", "y", **kwargs)


def test_default_fold_key_hashes_the_row_without_map_columns(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(i, "ab"[i % 2], i % 3 == 0, {"k": i}) for i in range(40)],
        "id int, cat string, y boolean, m map<string,int>",
    )
    encoder = CategoricalEncoder()
    out = encoder.target_mean_encoding(df, "cat", "y", smoothing=1.0)
    assert encoder.fitted["cat_target_mean"].params["fold_key"] == ["id", "cat", "y"]
    assert out.count() == 40 and out.filter(F.col("cat_target_mean").isNull()).count() == 0
