"""PartitionOptimizer: skew detection against pandas, salting that preserves results, sizing."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.optimization import PartitionOptimizer


@pytest.fixture(scope="module")
def optimizer(spark: SparkSession) -> PartitionOptimizer:
    return PartitionOptimizer(spark)


@pytest.fixture(scope="module")
def skewed(spark: SparkSession) -> pd.DataFrame:
    """20,000 rows: key 7 holds 90%, the rest spread over 200 keys; some NULL amounts and keys."""
    rng = np.random.default_rng(42)
    keys = np.where(rng.random(20_000) < 0.9, 7, rng.integers(100, 300, 20_000))
    amounts = rng.integers(-50, 1_000, 20_000).astype("float64")
    amounts[rng.random(20_000) < 0.05] = np.nan
    frame = pd.DataFrame({"key": keys.astype("float64"), "amount": amounts})
    frame.loc[rng.random(20_000) < 0.01, "key"] = np.nan
    return frame


@pytest.fixture(scope="module")
def skewed_df(spark: SparkSession, skewed: pd.DataFrame) -> Iterator[DataFrame]:
    """The same rows in Spark (NaN becomes NULL), cached once for the module."""
    records = [
        (None if math.isnan(k) else int(k), None if math.isnan(a) else int(a))
        for k, a in skewed.itertuples(index=False)
    ]
    df = spark.createDataFrame(records, "key long, amount long").cache()
    df.count()
    yield df
    df.unpersist()


def _to_pandas(df: DataFrame) -> pd.DataFrame:
    return pd.DataFrame([r.asDict() for r in df.collect()], columns=df.columns)


def _sortable(row: tuple) -> tuple:
    return tuple((v is None, v if v is not None else 0) for v in row)


def test_detect_skew_matches_pandas(
    optimizer: PartitionOptimizer, skewed: pd.DataFrame, skewed_df: DataFrame
) -> None:
    report = optimizer.detect_skew(skewed_df, "key", threshold=5.0, top_n=3)
    counts = skewed["key"].value_counts(dropna=False)
    assert report["is_skewed"] is True
    assert report["top_keys"][0]["key"] == 7
    assert report["top_keys"][0]["rows"] == counts.iloc[0]
    assert report["max_key_share"] == pytest.approx(counts.iloc[0] / len(skewed))
    assert report["max_key_share"] > 0.85
    assert report["num_keys"] == len(counts)
    assert report["skew_ratio"] == pytest.approx(counts.max() / counts.median())
    assert [k["rows"] for k in report["top_keys"]] == list(counts.iloc[:3])


def test_uniform_keys_are_not_skewed(spark: SparkSession, optimizer: PartitionOptimizer) -> None:
    report = optimizer.detect_skew(spark.range(10_000).withColumn("k", F.col("id") % 50), "k")
    assert report["is_skewed"] is False
    assert report["skew_ratio"] == pytest.approx(1.0)
    assert report["max_key_share"] == pytest.approx(1 / 50)


def test_salted_aggregation_equals_unsalted(
    optimizer: PartitionOptimizer, skewed: pd.DataFrame, skewed_df: DataFrame
) -> None:
    df = skewed_df
    aggregations = {
        "total": ("sum", "amount"),
        "rows": ("count", "*"),
        "non_null": ("count", "amount"),
        "low": ("min", "amount"),
        "high": ("max", "amount"),
        "mean": ("avg", "amount"),
    }
    salted = optimizer.salted_aggregate(df, "key", aggregations, num_salts=8, seed=3)
    unsalted = df.groupBy("key").agg(
        F.sum("amount").alias("total"),
        F.count(F.lit(1)).alias("rows"),
        F.count("amount").alias("non_null"),
        F.min("amount").alias("low"),
        F.max("amount").alias("high"),
        F.avg("amount").alias("mean"),
    )
    assert salted.schema == unsalted.schema
    got = _to_pandas(salted).sort_values("key", na_position="first").reset_index(drop=True)
    want = _to_pandas(unsalted).sort_values("key", na_position="first").reset_index(drop=True)
    exact = ["key", "total", "rows", "non_null", "low", "high"]
    pd.testing.assert_frame_equal(got[exact], want[exact])
    np.testing.assert_allclose(got["mean"], want["mean"], rtol=1e-12)
    # And both equal pandas, which treats NaN keys as their own group with dropna=False.
    reference = skewed.groupby("key", dropna=False)["amount"].sum(min_count=1)
    assert got.set_index("key")["total"].sort_index().tolist() == pytest.approx(
        reference.sort_index().tolist(), nan_ok=True
    )


def test_salted_join_equals_plain_join(
    spark: SparkSession, optimizer: PartitionOptimizer, skewed_df: DataFrame
) -> None:
    large = skewed_df
    small = spark.createDataFrame([(7, "hot"), (150, "warm"), (999, "unused")], "key long, label string")
    salted = optimizer.salted_join(large, small, "key", num_salts=6)
    plain = large.join(small, "key")
    assert sorted(salted.columns) == sorted(plain.columns)
    got = sorted(map(tuple, salted.select(*plain.columns).collect()), key=_sortable)
    assert got == sorted(map(tuple, plain.collect()), key=_sortable)
    left = optimizer.salted_join(large, small, "key", num_salts=6, how="left")
    assert left.count() == large.count()


def test_add_and_remove_salting(spark: SparkSession, optimizer: PartitionOptimizer) -> None:
    df = spark.range(1_000).withColumn("k", F.col("id") % 3)
    salted, salted_col = optimizer.add_salting(df, "k", num_salts=4, seed=1)
    assert salted_col == "k_salted"
    salts = {r[0] for r in salted.select("k_salt").distinct().collect()}
    assert salts <= {0, 1, 2, 3} and len(salts) == 4
    first = salted.select(salted_col, "k", "k_salt").first()
    assert first[0] == f"{first[1]}#{first[2]}"
    assert optimizer.remove_salting(salted, "k").columns == df.columns
    exploded, _ = optimizer.explode_salts(spark.range(5).withColumnRenamed("id", "k"), "k", 4)
    assert exploded.count() == 20


def test_partition_sizing_from_plan_estimate(spark: SparkSession, optimizer: PartitionOptimizer) -> None:
    df = spark.range(0, 100_000, numPartitions=2)  # Spark estimates 8 bytes per id
    plan = optimizer.plan_partitions(df, target_bytes=80_000)
    assert plan["estimated_bytes"] == 800_000
    assert plan["target_partitions"] == 10 and plan["action"] == "repartition"
    assert optimizer.optimize_partitions(df, target_bytes=80_000).rdd.getNumPartitions() == 10
    wide = spark.range(0, 1_000, numPartitions=8)
    assert optimizer.coalesce_if_needed(wide, target_bytes=4_000).rdd.getNumPartitions() == 2
    assert optimizer.coalesce_if_needed(df, target_bytes=80_000).rdd.getNumPartitions() == 2  # never grows


def test_bad_arguments_name_the_field(spark: SparkSession, optimizer: PartitionOptimizer) -> None:
    df = spark.range(3)
    with pytest.raises(ValueError, match=r"detect_skew key_col: column\(s\) \['nope'\]"):
        optimizer.detect_skew(df, "nope")
    with pytest.raises(ValueError, match="num_salts must be an integer >= 2, got 1"):
        optimizer.add_salting(df, "id", 1)
    with pytest.raises(ValueError, match="function='countdistinct'"):
        optimizer.salted_aggregate(df, "id", {"n": ("countDistinct", "id")}, 4)
    with pytest.raises(ValueError, match="target_bytes must be > 0"):
        optimizer.plan_partitions(df, 0)


def test_persist_sized_reads_a_persisted_shuffle_back_in_partitions_of_its_real_size(
    spark: SparkSession,
    optimizer: PartitionOptimizer,
    sql_conf: Callable[[dict[str, str]], AbstractContextManager[None]],
) -> None:
    # GIVEN 50,000 (long, double) rows shuffled into 40 partitions (AQE leaves the last stage of a
    # cached plan as it is); cached, each row is 8 + 8 bytes of column data
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"key": rng.integers(0, 5_000, 50_000), "amount": rng.random(50_000)})
    with sql_conf({"spark.sql.adaptive.advisoryPartitionSizeInBytes": "64k"}):
        shuffled = spark.createDataFrame(frame).repartition(40, "key")
        persisted, sized = optimizer.persist_sized(shuffled)
        try:
            # THEN the rows are cached once, and read back in the partitions 64 KiB each needs, same rows
            assert persisted.is_cached and persisted.rdd.getNumPartitions() == 40
            assert sized.rdd.getNumPartitions() == math.ceil(len(frame) * (8 + 8) / 65_536) == 13
            got = sized.toPandas().sort_values(["key", "amount"], ignore_index=True)
            pd.testing.assert_frame_equal(got, frame.sort_values(["key", "amount"], ignore_index=True))
            # AND an advisory size the data exceeds in every partition keeps them all (it never shuffles)
            assert optimizer.coalesce_if_needed(persisted, 16).rdd.getNumPartitions() == 40
        finally:
            persisted.unpersist()


def test_cached_plan_coalescing_as_spark_deploy_renders_it_per_line(
    spark: SparkSession, sql_conf: Callable[[dict[str, str]], AbstractContextManager[None]]
) -> None:
    """Why 4.0 gets canChangeCachedPlanOutputPartitioning=true and 3.5 persist_sized (Spark's own numbers).

    The last shuffle of a cached aggregation keeps spark.sql.shuffle.partitions partitions unless, on
    4.0, the setting is true; on 3.5 true is already the default and does not change that.
    """
    key = "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning"
    line = tuple(int(p) for p in spark.version.split(".")[:2])

    def cached_partitions(value: str) -> int:
        with sql_conf({key: value, "spark.sql.shuffle.partitions": "40"}):
            counts = spark.range(0, 10_000).groupBy((F.col("id") % 100).alias("k")).count().persist()
            try:
                counts.count()
                return int(counts.rdd.getNumPartitions())
            finally:
                counts.unpersist()

    if line >= (4, 0):
        assert spark.conf.get(key) == "false"  # the line's default, which spark-deploy renders as true
        assert cached_partitions("false") == 40
        assert cached_partitions("true") < 40
    else:
        assert spark.conf.get(key) == "true"
        assert cached_partitions("true") == 40
