"""The sample dataset: schema as Spark reads it, determinism, skew, nulls, drift and signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from scipy import stats

from spark_jobs import sample_data
from spark_jobs.sample_data import CATEGORIES, CHANNELS, PERIOD_DAYS, START, generate, main, write_sample_data

ROWS = 6000


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate(ROWS, seed=11)


def test_spark_reads_the_written_schema_and_rows(spark: SparkSession, tmp_path: Path) -> None:
    # GIVEN a dataset written in three files
    summary = write_sample_data(tmp_path / "tx", rows=2500, seed=3, rows_per_file=1000)
    # WHEN Spark reads the directory
    df = spark.read.parquet(str(tmp_path / "tx"))
    # THEN Spark sees every row and the declared types
    assert summary.files == 3
    assert len(list((tmp_path / "tx").glob("part-*.parquet"))) == 3
    assert df.count() == 2500
    types = dict(df.dtypes)
    assert types == {
        "customer_id": "string",
        "event_time": "timestamp",
        "amount": "double",
        "category": "string",
        "channel": "string",
        "label": "int",
        "weight": "double",
    }
    # AND Spark's min/max agree with pandas on the same files
    reference = pq.read_table(tmp_path / "tx").to_pandas()
    row = df.agg(F.min("amount").alias("lo"), F.max("amount").alias("hi")).first()
    assert row["lo"] == pytest.approx(reference["amount"].min())
    assert row["hi"] == pytest.approx(reference["amount"].max())


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = generate(800, seed=5), generate(800, seed=5), generate(800, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["amount"].equals(c["amount"])


def test_columns_hold_the_documented_values(frame: pd.DataFrame) -> None:
    assert set(frame["channel"]) == set(CHANNELS)
    assert set(frame["category"].dropna()) == set(CATEGORIES)
    assert set(frame["label"].unique()) == {0, 1}
    assert (frame["weight"] > 0).all()
    assert (frame["amount"].dropna() > 0).all()
    # Unique event times inside the 90-day span
    assert frame["event_time"].is_unique
    start = pd.Timestamp(START)
    assert frame["event_time"].min() >= start
    assert frame["event_time"].max() < start + pd.Timedelta(days=PERIOD_DAYS)


def test_nulls_in_amount_and_category_only(frame: pd.DataFrame) -> None:
    nulls = frame.isna().mean()
    assert 0.02 < nulls["amount"] < 0.06
    assert 0.01 < nulls["category"] < 0.05
    assert nulls.drop(["amount", "category"]).sum() == 0


def test_a_few_heavy_customers_carry_the_skew(frame: pd.DataFrame) -> None:
    counts = frame["customer_id"].value_counts()
    top = counts.iloc[: sample_data.HEAVY_CUSTOMERS]
    assert top.sum() / ROWS == pytest.approx(sample_data.HEAVY_SHARE, abs=0.03)
    # Each heavy customer has many times the median customer's rows
    assert top.min() > 20 * counts.median()


def test_both_periods_exist_and_amount_drifts(frame: pd.DataFrame) -> None:
    midpoint = pd.Timestamp(START) + pd.Timedelta(days=PERIOD_DAYS / 2)
    early = frame.loc[frame["event_time"] < midpoint, "amount"].dropna()
    late = frame.loc[frame["event_time"] >= midpoint, "amount"].dropna()
    assert min(len(early), len(late)) > ROWS * 0.4
    # The two halves differ (Kolmogorov-Smirnov), late amounts are larger
    assert stats.ks_2samp(early, late).pvalue < 1e-6
    assert late.median() > early.median()


def test_label_is_correlated_with_amount(frame: pd.DataFrame) -> None:
    known = frame.dropna(subset=["amount"])
    r, p = stats.pointbiserialr(known["label"], np.log(known["amount"]))
    assert r > 0.1
    assert p < 1e-6


def test_cli_writes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--rows", "300", "--output", str(tmp_path / "out"), "--seed", "2"]) == 0
    assert "wrote 300 rows" in capsys.readouterr().out
    assert pq.read_table(tmp_path / "out").num_rows == 300


def test_rewriting_replaces_the_directory(tmp_path: Path) -> None:
    write_sample_data(tmp_path / "tx", rows=500, rows_per_file=100)
    write_sample_data(tmp_path / "tx", rows=200, rows_per_file=100)
    assert sorted(p.name for p in (tmp_path / "tx").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    assert pq.read_table(tmp_path / "tx").num_rows == 200


def test_the_two_periods_partition_the_full_data(tmp_path: Path) -> None:
    # GIVEN the full data and its two halves written separately
    for period in ("all", "first", "second"):
        write_sample_data(tmp_path / period, rows=1200, seed=4, period=period)
    full, first, second = (pq.read_table(tmp_path / p).to_pandas() for p in ("all", "first", "second"))
    # THEN the halves are exactly the full data's rows, split at the midpoint
    midpoint = pd.Timestamp(START) + pd.Timedelta(days=PERIOD_DAYS / 2)
    assert (first["event_time"] < midpoint).all()
    assert (second["event_time"] >= midpoint).all()
    pd.testing.assert_frame_equal(pd.concat([first, second], ignore_index=True), full)


def test_fails_for_an_unknown_period(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"period: expected one of \['all', 'first', 'second'\], got 'third'"
    ):
        write_sample_data(tmp_path / "x", rows=10, period="third")


@pytest.mark.parametrize("rows", [0, -3, 2.5, True])
def test_fails_for_bad_rows(rows: object) -> None:
    with pytest.raises(ValueError, match=r"rows: expected a whole number >= 1"):
        generate(rows, seed=1)  # type: ignore[arg-type]


def test_fails_for_a_uri_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--rows", "10", "--output", "s3a://bucket/tx"]) == 2
    assert "output: expected a local directory" in capsys.readouterr().err
