"""PostBinningCompressor against a pandas groupby, and verify() catching broken compressions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.features.compression import SAMPLE_WEIGHT, TARGET_SUM, PostBinningCompressor
from spark_jobs.features.errors import FeatureInputError

from ._reference import assert_close, to_pandas_sorted


@pytest.fixture(scope="module")
def binned(spark: SparkSession) -> tuple[DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(21)
    n = 2000
    pdf = pd.DataFrame(
        {
            "age_bin": rng.integers(0, 5, n),
            "income_bin": rng.choice(["low", "mid", "high", None], n, p=[0.4, 0.3, 0.2, 0.1]),
            "label": (rng.random(n) < 0.25).astype(int),
            "w": rng.choice([1.0, 2.0, 0.5], n),
        }
    )
    rows = [
        (int(a), None if pd.isna(b) else str(b), int(y), float(w))
        for a, b, y, w in pdf.itertuples(index=False)
    ]
    return spark.createDataFrame(rows, "age_bin int, income_bin string, label int, w double").cache(), pdf


@pytest.mark.parametrize("weighted", [False, True])
def test_compress_matches_pandas_groupby(binned: tuple[DataFrame, pd.DataFrame], weighted: bool) -> None:
    sdf, pdf = binned
    compressor = PostBinningCompressor()
    out = compressor.compress(sdf, ["age_bin", "income_bin"], "label", "w" if weighted else None)
    assert out.columns == ["age_bin", "income_bin", SAMPLE_WEIGHT, TARGET_SUM]
    w = pdf["w"] if weighted else pd.Series(1.0, index=pdf.index)
    keyed = pdf.assign(income_bin=pdf["income_bin"].fillna("<null>"), _w=w, _t=w * pdf["label"])
    expected = keyed.groupby(["age_bin", "income_bin"], as_index=False)[["_w", "_t"]].sum()
    got = to_pandas_sorted(out.fillna("<null>", subset=["income_bin"]), ["age_bin", "income_bin"])
    expected = expected.sort_values(["age_bin", "income_bin"]).reset_index(drop=True)
    assert (
        got[["age_bin", "income_bin"]].values.tolist() == expected[["age_bin", "income_bin"]].values.tolist()
    )
    assert_close(got[SAMPLE_WEIGHT], expected["_w"], "sample_weight")
    assert_close(got[TARGET_SUM], expected["_t"], "target_sum")

    report = compressor.verify(sdf, out)
    assert report.ok, report.failures
    assert report.rows_before == len(pdf) and report.rows_after == len(expected)
    assert report.compression_ratio == pytest.approx(len(pdf) / len(expected))
    assert report.event_rate_before == pytest.approx(float((w * pdf["label"]).sum() / w.sum()), rel=1e-12)


def test_verify_catches_a_broken_compression(binned: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = binned
    compressor = PostBinningCompressor()
    out = compressor.compress(sdf, ["age_bin", "income_bin"], "label", "w")
    shifted = out.withColumn(
        TARGET_SUM, F.when(F.col("age_bin") == 2, F.col(TARGET_SUM) + 1.0).otherwise(F.col(TARGET_SUM))
    )
    report = compressor.verify(sdf, shifted)
    assert not report.ok
    assert any("feature 'age_bin' value '2': weighted target mean" in f for f in report.failures)
    assert any("event rate" in f for f in report.failures)
    dropped = compressor.verify(sdf, out.filter(F.col("age_bin") != 4))
    assert not dropped.ok
    assert any("value '4' missing from the compressed data" in f for f in dropped.failures)
    assert any("total weight" in f for f in dropped.failures)


def test_bad_input(binned: tuple[DataFrame, pd.DataFrame]) -> None:
    sdf, _ = binned
    compressor = PostBinningCompressor()
    with pytest.raises(FeatureInputError, match="not found"):
        compressor.compress(sdf, ["age_bin", "nope"], "label")
    with pytest.raises(FeatureInputError, match="must not include"):
        compressor.compress(sdf, ["age_bin", "label"], "label")
    with pytest.raises(FeatureInputError, match="numeric"):
        compressor.compress(sdf, ["age_bin"], "income_bin")
    with pytest.raises(FeatureInputError, match="call compress"):
        compressor.verify(sdf, sdf)
