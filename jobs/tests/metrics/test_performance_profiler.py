"""PerformanceProfiler on real local workloads: each bottleneck code is triggered honestly.

Thresholds default to Dataflint's production values (seconds, GiB); the tests pass smaller,
proportional ones so that a few thousand rows can show the same shape of problem.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from spark_jobs.metrics import CODES, BottleneckThresholds, PerformanceProfiler
from spark_jobs.optimization import PartitionOptimizer

NO_TIME_SKEW = 10**9  # judge skew by bytes only: task times on tiny data are noise


def _codes(profile: dict) -> set[str]:
    return {f["code"] for f in profile["findings"]}


def _keyed(spark: SparkSession, hot_share: float) -> DataFrame:
    """20,000 rows; ``hot_share`` of them on key 0, the rest spread over 400 keys."""
    hot_rows = int(20_000 * hot_share)
    return spark.range(20_000).withColumn(
        "key", F.when(F.col("id") < hot_rows, F.lit(0)).otherwise(F.col("id") % 400 + 1)
    )


def _collect_lists(df: DataFrame) -> int:
    # collect_list cannot shrink map-side, so the hot key's rows really travel to one task
    # (summing the list sizes keeps the optimizer from pruning the lists away).
    return df.groupBy("key").agg(F.collect_list("id").alias("ids")).select(F.sum(F.size("ids"))).first()[0]


def test_ninety_percent_key_is_a_skewed_stage(spark: SparkSession, sql_conf) -> None:
    thresholds = BottleneckThresholds(
        skew_ratio=10, skew_min_task_ms=NO_TIME_SKEW, skew_min_partition_bytes=1024
    )
    profiler = PerformanceProfiler(spark, thresholds)
    with sql_conf(
        {"spark.sql.shuffle.partitions": "8", "spark.sql.adaptive.coalescePartitions.enabled": "false"}
    ):
        skewed = _keyed(spark, 0.9)
        groups, profile = profiler.profile_operation("skewed-groupby", _collect_lists, skewed)
        _, uniform = profiler.profile_operation("uniform-groupby", _collect_lists, _keyed(spark, 0.0))
    assert groups == 20_000
    skew = [f for f in profile["findings"] if f["code"] == "SKEWED_STAGE"]
    assert len(skew) == 1
    stage = next(s for s in profile["stages"] if s["stage_id"] == skew[0]["stage_id"])
    numbers = skew[0]["numbers"]
    assert numbers["data_metric"] == "task_shuffle_read_bytes" and stage["num_tasks"] == 8
    # The hot task reads most of the stage's shuffle bytes, as 90% of the rows sit on one key.
    assert numbers["data_bytes_max"] >= 0.8 * stage["shuffle_read_bytes"]
    assert numbers["data_ratio"] >= 10
    assert "SKEWED_STAGE" not in _codes(uniform)
    assert PartitionOptimizer(spark).detect_skew(skewed, "key")["is_skewed"] is True
    suggestion = next(s for s in profile["suggestions"] if s["code"] == "SKEWED_STAGE")
    assert suggestion["config"]["spark.sql.adaptive.skewJoin.enabled"] == "true"
    assert "spark_jobs.optimization.PartitionOptimizer.salted_aggregate" in suggestion["utilities"]


def test_forced_spill_is_measured_and_flagged(spark: SparkSession, sql_conf) -> None:
    profiler = PerformanceProfiler(spark)
    # Tiny window buffers force the window operator to spill its partition to disk.
    settings = {
        "spark.sql.windowExec.buffer.in.memory.threshold": "100",
        "spark.sql.windowExec.buffer.spill.threshold": "1000",
    }
    df = spark.range(5_000).withColumn("g", F.col("id") % 2)
    with sql_conf(settings):
        rows, profile = profiler.profile_operation(
            "spilling-window", lambda: df.withColumn("s", F.sum("id").over(Window.partitionBy("g"))).collect()
        )
    assert {r["s"] for r in rows} == {sum(range(0, 5_000, 2)), sum(range(1, 5_000, 2))}
    assert profile["totals"]["disk_bytes_spilled"] > 0
    assert profile["totals"]["memory_bytes_spilled"] > 0
    spill = [f for f in profile["findings"] if f["code"] == "SPILL"]
    assert (
        spill
        and sum(f["numbers"]["disk_bytes_spilled"] for f in spill) == profile["totals"]["disk_bytes_spilled"]
    )
    assert "spark.sql.shuffle.partitions" in profiler.suggest_optimizations(spill)[0]["config"]


def test_small_files_written_and_read(spark: SparkSession, tmp_path: Path) -> None:
    profiler = PerformanceProfiler(spark, BottleneckThresholds(small_files_min_count=10))
    target = str(tmp_path / "small")
    df = spark.range(3_000).repartition(12)
    _, written = profiler.profile_operation("write-small-files", lambda: df.write.parquet(target))
    on_disk = list(Path(target).glob("part-*.parquet"))
    assert written["files"]["files_written"] == len(on_disk) == 12
    finding = next(f for f in written["findings"] if f["code"] == "SMALL_FILES")
    assert finding["numbers"]["direction"] == "written"
    assert finding["numbers"]["total_bytes"] == written["totals"]["output_bytes"] > 0
    _, read = profiler.profile_operation("read-small-files", lambda: spark.read.parquet(target).count())
    assert read["files"]["files_read"] == 12
    assert any(f["numbers"]["direction"] == "read" for f in read["findings"] if f["code"] == "SMALL_FILES")


def test_idle_cores_and_small_tasks(spark: SparkSession) -> None:
    thresholds = BottleneckThresholds(idle_min_wall_clock_ms=0, small_tasks_min_count=50)
    profiler = PerformanceProfiler(spark, thresholds)

    def mostly_waiting() -> int:
        time.sleep(1.0)  # driver-side work while both task slots sit idle
        return spark.range(0, 1_000, numPartitions=60).count()

    count, profile = profiler.profile_operation("idle", mostly_waiting)
    assert count == 1_000
    idle = next(f for f in profile["findings"] if f["code"] == "IDLE_CORES")["numbers"]
    assert idle["total_cores"] == 2 == spark.sparkContext.defaultParallelism
    assert idle["idle_ratio"] >= 0.5
    assert idle["busy_core_ms"] == profile["totals"]["executor_run_time_ms"]
    small = next(f for f in profile["findings"] if f["code"] == "TOO_MANY_SMALL_TASKS")["numbers"]
    assert small["num_tasks"] == 60 and small["suggested_tasks"] == 6


def test_large_shuffle_partition(spark: SparkSession) -> None:
    profiler = PerformanceProfiler(spark, BottleneckThresholds(large_partition_bytes=10_000))
    df = spark.range(50_000).withColumn("v", F.col("id") * 2)
    _, profile = profiler.profile_operation("shuffle", lambda: df.repartition(2).agg(F.sum("v")).collect())
    large = [f for f in profile["findings"] if f["code"] == "LARGE_SHUFFLE"]
    assert large
    stage = next(s for s in profile["stages"] if s["stage_id"] == large[0]["stage_id"])
    expected = max(stage["task_shuffle_read_bytes_max"] or 0, stage["task_shuffle_write_bytes_max"] or 0)
    assert large[0]["numbers"]["largest_task_shuffle_bytes"] == expected >= 10_000


def test_context_manager_compare_and_reports(spark: SparkSession, tmp_path: Path) -> None:
    profiler = PerformanceProfiler(spark)
    with profiler.profile("plain-count") as plain:
        spark.range(10_000).count()
    assert plain["name"] == "plain-count" and plain["totals"]["input_records"] == 10_000
    rows = profiler.compare_operations(
        {
            "narrow": lambda: spark.range(10_000).count(),
            "wide": lambda: spark.range(10_000).repartition(4).count(),
        }
    )
    assert [r["name"] for r in rows] == ["narrow", "wide"]
    assert rows[0]["num_tasks_vs_first"] == 1.0
    assert (
        rows[1]["shuffle_write_bytes"] > rows[0]["shuffle_write_bytes"] > 0
    )  # repartition shuffles every row
    ratio = rows[1]["shuffle_write_bytes"] / rows[0]["shuffle_write_bytes"]
    assert rows[1]["shuffle_write_bytes_vs_first"] == pytest.approx(ratio)
    text = profiler.generate_report(fmt="text")
    assert "== plain-count (succeeded) ==" in text and "== wide (succeeded) ==" in text
    html_path = tmp_path / "report.html"
    html = profiler.generate_report(fmt="html", path=str(html_path))
    assert html_path.read_text() == html
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<rect" in html
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for profile in profiler.profiles:
        for stage in (s for s in profile["stages"] if s["status"] == "COMPLETE"):
            assert f"stage {stage['stage_id']}" in html


def test_failed_operation_still_profiled(spark: SparkSession) -> None:
    profiler = PerformanceProfiler(spark)
    with pytest.raises(ZeroDivisionError), profiler.profile("fails") as profile:
        spark.range(100).count()
        _ = 1 / 0
    assert profile["status"] == "failed" and profile["totals"]["input_records"] == 100


def test_thresholds_and_arguments_are_validated(spark: SparkSession) -> None:
    with pytest.raises(ValueError, match=r"BottleneckThresholds.skew_ratio must be > 1, got 0.5"):
        BottleneckThresholds(skew_ratio=0.5)
    with pytest.raises(ValueError, match=r"BottleneckThresholds.spill_min_bytes must be >= 0"):
        BottleneckThresholds(spill_min_bytes=-1)
    profiler = PerformanceProfiler(spark)
    with pytest.raises(ValueError, match="fmt='pdf' is not allowed"):
        profiler.generate_report(fmt="pdf")
    with pytest.raises(ValueError, match="unknown finding code 'NOPE'"):
        profiler.suggest_optimizations([{"code": "NOPE"}])
    assert set(CODES) == {
        "SKEWED_STAGE",
        "SPILL",
        "TOO_MANY_SMALL_TASKS",
        "LARGE_SHUFFLE",
        "IDLE_CORES",
        "SMALL_FILES",
    }
