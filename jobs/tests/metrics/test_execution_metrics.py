"""SparkExecutionMetrics on the shared session: scoping, numbers, failure handling, export."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.metrics import SparkExecutionMetrics
from spark_jobs.metrics.execution_metrics import REDACTED


@pytest.fixture(scope="module")
def metrics(spark: SparkSession) -> SparkExecutionMetrics:
    return SparkExecutionMetrics(spark)


def _group_count(spark: SparkSession, rows: int) -> list:
    return spark.range(rows).groupBy((F.col("id") % 10).alias("k")).count().collect()


def test_metrics_cover_only_the_jobs_fn_ran(spark: SparkSession, metrics: SparkExecutionMetrics) -> None:
    spark.range(50).count()  # untracked
    result, first = metrics.track_execution("first", _group_count, spark, 30_000)
    _, second = metrics.track_execution("second", _group_count, spark, 40_000)
    assert len(result) == 10
    first_jobs = {j["job_id"] for j in first["jobs"]}
    second_jobs = {j["job_id"] for j in second["jobs"]}
    assert first_jobs and second_jobs and not first_jobs & second_jobs
    # spark.range reports its rows as input records: exactly the rows of each tracked run.
    assert first["totals"]["input_records"] == 30_000
    assert second["totals"]["input_records"] == 40_000
    assert first["status"] == "succeeded" and first["complete"] is True


def test_stage_records_carry_spark_numbers(spark: SparkSession, metrics: SparkExecutionMetrics) -> None:
    _, tracked = metrics.track_execution("numbers", _group_count, spark, 20_000)
    ran = [s for s in tracked["stages"] if s["status"] == "COMPLETE"]
    map_stage = next(s for s in ran if s["shuffle_write_bytes"] > 0)
    # 2 map tasks x 10 keys after partial aggregation: one shuffle record per key per task.
    assert map_stage["shuffle_write_records"] == 2 * 10
    assert sum(s["shuffle_read_records"] for s in ran) == map_stage["shuffle_write_records"]
    assert tracked["totals"]["shuffle_read_bytes"] == tracked["totals"]["shuffle_write_bytes"]
    for stage in ran:
        assert (
            stage["task_duration_ms_min"] <= stage["task_duration_ms_median"] <= stage["task_duration_ms_max"]
        )
        assert stage["executor_run_time_ms"] >= stage["task_run_time_ms_max"]
        assert stage["duration_ms"] >= 0
    assert tracked["totals"]["num_tasks"] == sum(s["num_tasks"] for s in ran)


def test_job_group_is_restored(spark: SparkSession, metrics: SparkExecutionMetrics) -> None:
    sc = spark.sparkContext
    sc.setJobGroup("outer-group", "outer work")
    try:
        metrics.track_execution("inner", lambda: spark.range(10).count())
        assert sc.getLocalProperty("spark.jobGroup.id") == "outer-group"
        assert sc.getLocalProperty("spark.job.description") == "outer work"
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
        sc.setLocalProperty("spark.job.description", None)
        sc.setLocalProperty("spark.job.interruptOnCancel", None)


def test_failed_run_is_recorded_and_reraised(spark: SparkSession, metrics: SparkExecutionMetrics) -> None:
    def fails() -> None:
        spark.range(1_000).count()
        raise RuntimeError("boom after one job")

    with pytest.raises(RuntimeError, match="boom"):
        metrics.track_execution("fails", fails)
    recorded = metrics.executions[-1]
    assert recorded["name"] == "fails" and recorded["status"] == "failed"
    assert recorded["totals"]["input_records"] == 1_000


def test_invalid_arguments_name_the_field(metrics: SparkExecutionMetrics) -> None:
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        metrics.track_execution("  ", lambda: None)
    with pytest.raises(TypeError, match="fn must be callable"):
        metrics.track_execution("x", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"format.*allowed formats are json, csv"):
        metrics.export_metrics("/tmp/metrics.parquet")


def test_export_json_and_csv(spark: SparkSession, tmp_path: Path) -> None:
    local = SparkExecutionMetrics(spark)
    local.track_execution("export-a", _group_count, spark, 5_000)
    local.track_execution("export-b", _group_count, spark, 6_000)
    json_path = local.export_metrics(str(tmp_path / "out" / "_metrics.json"))
    document = json.loads(Path(json_path).read_text())
    assert [e["name"] for e in document["executions"]] == ["export-a", "export-b"]
    assert document["application_id"] == spark.sparkContext.applicationId
    assert document["executors"]
    csv_frame = pd.read_csv(local.export_metrics(str(tmp_path / "stages.csv")))
    expected = [
        (e["name"], s["stage_id"], s["shuffle_write_bytes"]) for e in local.executions for s in e["stages"]
    ]
    got = list(csv_frame[["execution", "stage_id", "shuffle_write_bytes"]].itertuples(index=False, name=None))
    assert got == expected


def test_export_through_the_hadoop_filesystem_api(spark: SparkSession, tmp_path: Path) -> None:
    # viewfs:// is a non-local Hadoop scheme shipped with every Spark; its mount table points at
    # tmp_path, so the JVM FileSystem path (the one s3a:// takes) is exercised without S3 jars.
    table = f"metricstest{tmp_path.name.replace('_', '').replace('-', '')}"
    hadoop_conf = spark.sparkContext._jsc.hadoopConfiguration()
    hadoop_conf.set(f"fs.viewfs.mounttable.{table}.link./metrics", tmp_path.as_uri())
    local = SparkExecutionMetrics(spark)
    local.track_execution("viewfs", _group_count, spark, 1_000)
    local.export_metrics(f"viewfs://{table}/metrics/run/_metrics.json")
    written = json.loads((tmp_path / "run" / "_metrics.json").read_text())
    assert written["executions"][0]["name"] == "viewfs"


def test_spark_config_is_redacted(spark: SparkSession, metrics: SparkExecutionMetrics) -> None:
    spark.conf.set("spark.myjob.api.token", "abc123")
    try:
        config = metrics.get_spark_config()
    finally:
        spark.conf.unset("spark.myjob.api.token")
    assert config["spark.myjob.api.token"] == REDACTED
    assert config["spark.sql.shuffle.partitions"] == spark.conf.get("spark.sql.shuffle.partitions")
    assert config["spark.master"] == "local[2]"


def test_executor_metrics_describe_the_local_driver(
    spark: SparkSession, metrics: SparkExecutionMetrics
) -> None:
    executors = metrics.get_executor_metrics()
    driver = next(e for e in executors if e["executor_id"] == "driver")
    assert driver["total_cores"] == spark.sparkContext.defaultParallelism == 2
    assert driver["completed_tasks"] > 0
    assert driver["storage_memory_max_bytes"] > 0
