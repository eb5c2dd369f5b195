"""QueryOptimizer on real plans: join strategies, pushed filters, Python UDFs, suggestions."""

from __future__ import annotations

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.optimization import QueryOptimizer


@pytest.fixture(scope="module")
def optimizer(spark: SparkSession) -> QueryOptimizer:
    return QueryOptimizer(spark)


@pytest.fixture(scope="module")
def sales_path(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("sales") / "sales.parquet")
    frame = pd.DataFrame(
        {
            "id": range(2_000),
            "amount": [i % 250 for i in range(2_000)],
            "name": [f"n{i}" for i in range(2_000)],
        }
    )
    spark.createDataFrame(frame).write.parquet(path)
    return path


def _codes(analysis: dict) -> list[str]:
    return [s["code"] for s in analysis["suggestions"]]


def _physical(df: DataFrame) -> str:
    return df._jdf.queryExecution().executedPlan().toString()


def test_small_side_is_broadcast(spark: SparkSession, optimizer: QueryOptimizer, sales_path: str) -> None:
    small = spark.read.parquet(sales_path).select("id", "amount")
    large = spark.range(200_000).withColumnRenamed("id", "key")
    joined = large.join(small, large.key == small.id)
    analysis = optimizer.analyze_plan(joined, execute=True)
    assert analysis["adaptive"] == {"adaptive": True, "final_plan": True}
    assert [j["strategy"] for j in analysis["joins"]] == ["broadcast_hash"]
    assert "BroadcastHashJoin" in _physical(joined)  # Spark's own rendering of the same final plan
    assert any(e["type"] == "broadcast" for e in analysis["exchanges"])
    assert "BROADCAST_CANDIDATE" not in _codes(analysis)


def test_two_large_sides_sort_merge(spark: SparkSession, optimizer: QueryOptimizer, sql_conf) -> None:
    left = spark.range(100_000).withColumn("k", F.col("id") % 1000)
    right = spark.range(100_000).withColumn("k", F.col("id") % 997).withColumnRenamed("id", "rid")
    # Both sides (800 KB+) exceed a 1 KB broadcast threshold, for the planner and for AQE.
    with sql_conf({"spark.sql.autoBroadcastJoinThreshold": "1024"}):
        joined = left.join(right, "k")
        analysis = optimizer.analyze_plan(joined, execute=True)
        physical = _physical(joined)
    assert [j["strategy"] for j in analysis["joins"]] == ["sort_merge"]
    assert "SortMergeJoin" in physical and "BroadcastHashJoin" not in physical
    shuffles = [e for e in analysis["exchanges"] if e["type"] == "shuffle"]
    assert len(shuffles) == 2 and all("hashpartitioning(k#" in e["partitioning"] for e in shuffles)
    # Sides well below the 100 MiB default candidate size are worth broadcasting.
    assert "BROADCAST_CANDIDATE" in _codes(analysis)
    broadcast = QueryOptimizer(spark, broadcast_candidate_bytes=1).analyze_plan(joined)
    assert "BROADCAST_CANDIDATE" not in _codes(broadcast)


def test_optimize_join_broadcasts_the_small_side(
    spark: SparkSession, optimizer: QueryOptimizer, sql_conf
) -> None:
    large = spark.range(50_000).withColumn("k", F.col("id") % 100)
    small = spark.range(100).withColumnRenamed("id", "k").withColumn("label", F.col("k") * 2)
    with sql_conf({"spark.sql.autoBroadcastJoinThreshold": "-1"}):
        plain = large.join(small, "k")
        optimized = optimizer.optimize_join(large, small, "k")
        assert [j["strategy"] for j in optimizer.analyze_plan(plain, execute=True)["joins"]] == ["sort_merge"]
        assert [j["strategy"] for j in optimizer.analyze_plan(optimized, execute=True)["joins"]] == [
            "broadcast_hash"
        ]
        assert sorted(optimized.collect()) == sorted(plain.collect())


def test_parquet_filter_is_pushed(spark: SparkSession, optimizer: QueryOptimizer, sales_path: str) -> None:
    sales = spark.read.parquet(sales_path)
    filtered = optimizer.push_filters(sales, [("amount", ">", 100), ("name", "not_null")]).select("id")
    analysis = optimizer.analyze_plan(filtered)
    assert "GreaterThan(amount,100)" in analysis["pushed_filters"]
    assert "IsNotNull(name)" in analysis["pushed_filters"]
    assert analysis["scans"][0]["format"] == "Parquet"
    assert set(analysis["columns_read"]) == {"id", "amount", "name"}
    assert "NO_FILTER_PUSHDOWN" not in _codes(analysis)
    expected = pd.read_parquet(sales_path).query("amount > 100")
    assert filtered.count() == len(expected)


def test_filter_on_function_is_not_pushed(
    spark: SparkSession, optimizer: QueryOptimizer, sales_path: str
) -> None:
    sales = spark.read.parquet(sales_path)
    analysis = optimizer.analyze_plan(sales.filter(F.upper("name") == "N7").select("id"))
    assert not [f for f in analysis["pushed_filters"] if not f.startswith("IsNotNull")]
    assert "NO_FILTER_PUSHDOWN" in _codes(analysis)


def test_python_udfs_are_flagged(spark: SparkSession, optimizer: QueryOptimizer) -> None:
    @F.udf("long")
    def add_one(value: int) -> int:
        return value + 1

    @F.pandas_udf("long")
    def add_two(values: pd.Series) -> pd.Series:
        return values + 2

    row_udf = optimizer.analyze_plan(spark.range(10).select(add_one("id").alias("x")))
    assert [(u["udfs"], u["vectorized"]) for u in row_udf["python_udfs"]] == [(["add_one"], False)]
    assert "PYTHON_UDF" in _codes(row_udf)
    arrow_udf = optimizer.analyze_plan(spark.range(10).select(add_two("id").alias("x")))
    assert [(u["udfs"], u["vectorized"]) for u in arrow_udf["python_udfs"]] == [(["add_two"], True)]
    assert optimizer.analyze_plan(spark.range(10).select((F.col("id") + 1).alias("x")))["python_udfs"] == []


def test_cartesian_and_unused_columns(spark: SparkSession, optimizer: QueryOptimizer) -> None:
    crossed = spark.range(10).crossJoin(spark.range(10).withColumnRenamed("id", "other"))
    assert "CARTESIAN_PRODUCT" in _codes(optimizer.analyze_plan(crossed))
    # An RDD-backed DataFrame cannot prune columns at the source: b and c are produced for nothing.
    rows = spark.createDataFrame([(1, "x", 2.0), (2, "y", 3.0)], ["a", "b", "c"])
    analysis = optimizer.analyze_plan(rows.select("a"))
    assert analysis["unused_columns"][0]["unused"] == ["b", "c"]
    assert "UNUSED_COLUMNS_READ" in _codes(analysis)
    assert "UNUSED_COLUMNS_READ" not in _codes(optimizer.analyze_plan(rows))


def test_helpers_reject_bad_input(spark: SparkSession, optimizer: QueryOptimizer) -> None:
    df = spark.range(3)
    with pytest.raises(ValueError, match=r"prune_columns: columns \['nope'\]"):
        optimizer.prune_columns(df, ["nope"])
    assert optimizer.prune_columns(df.withColumn("x", F.lit(1)), ["x"]).columns == ["x"]
    with pytest.raises(ValueError, match=r"op '~' .* is not allowed"):
        optimizer.push_filters(df, [("id", "~", 1)])
    with pytest.raises(ValueError, match="column 'missing' not in the DataFrame"):
        optimizer.push_filters(df, [("missing", "=", 1)])
    with pytest.raises(ValueError, match="broadcast_candidate_bytes must be > 0"):
        QueryOptimizer(spark, broadcast_candidate_bytes=0)
