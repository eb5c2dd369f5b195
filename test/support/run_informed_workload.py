"""One small Spark application for the run-informed tuning tests and benchmark.

Usage: python run_informed_workload.py WORKLOAD EVENT_LOG_DIR [key=value ...]

WORKLOAD is ``spill`` (a wide aggregation that sorts every group: spills with a small heap and
few shuffle partitions), ``tiny`` (the same data through a join and aggregation, cheap per row, so far too
many shuffle partitions make it slow), ``skew`` (a join where one key holds most rows) or
``small-files`` (writes and reads back many small files). Each key=value is a Spark property
set before the session starts (``spark.driver.memory`` sizes the local JVM); ``rows=N`` scales the data and
``metrics=PATH`` also writes our ``_metrics.json`` there. The event log is
written to EVENT_LOG_DIR with the line's defaults (4.0 compresses with zstd and rolls) unless the
properties say otherwise. Prints one JSON line: the application id, the wall time and a result
checksum (so runs under different configurations can be compared for equal results).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.metrics import SparkExecutionMetrics

ROWS = {"spill": 2_000_000, "tiny": 200_000, "skew": 400_000, "small-files": 100_000}


def _session(log_dir: str, conf: dict[str, str]) -> SparkSession:
    builder = (
        SparkSession.builder.master(conf.pop("spark.master", "local[2]"))
        .appName("run-informed-workload")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.eventLog.enabled", "true")
        .config("spark.eventLog.dir", log_dir)
        .config("spark.sql.autoBroadcastJoinThreshold", "-1")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _spill(spark: SparkSession, rows: int) -> int:
    # A sort-merge join of two wide-keyed tables: each task sorts both of its sides, and with a
    # small heap and few shuffle partitions the sorters run out of execution memory and spill.
    left = spark.range(rows).select(((F.col("id") * 7919) % rows).alias("k"), F.col("id").alias("a"))
    right = spark.range(rows).select(((F.col("id") * 104729) % rows).alias("k"), F.col("id").alias("b"))
    out = left.join(right, "k")
    return int(out.select(F.sum((F.col("a") * 3 + F.col("b")) % 1_000_003)).first()[0])


def _tiny(spark: SparkSession, rows: int) -> int:
    left = spark.range(rows).select((F.col("id") % 5000).alias("k"), F.col("id").alias("a"))
    right = spark.range(rows // 4).select((F.col("id") % 5000).alias("k"), F.col("id").alias("b"))
    out = left.join(right, "k").groupBy("k").agg(F.count("*").alias("n"))
    return int(out.select(F.sum("n")).first()[0])


def _skew(spark: SparkSession, rows: int) -> int:
    # 70% of the left rows share key 0.
    left = spark.range(rows).select(
        F.when(F.col("id") % 10 < 7, F.lit(0)).otherwise(F.col("id") % 1000).alias("k"),
        F.col("id").alias("a"),
    )
    right = spark.range(20_000).select((F.col("id") % 1000).alias("k"), F.col("id").alias("b"))
    out = left.join(right, "k")
    return int(out.select(F.count("*")).first()[0])


def _small_files(spark: SparkSession, rows: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        spark.range(rows).select((F.col("id") % 100).alias("k"), F.col("id").alias("v")).repartition(
            400
        ).write.mode("overwrite").parquet(tmp + "/files")
        back = spark.read.parquet(tmp + "/files")
        return int(back.groupBy("k").agg(F.sum("v").alias("s")).select(F.sum("s")).first()[0])


WORKLOADS = {"spill": _spill, "tiny": _tiny, "skew": _skew, "small-files": _small_files}


def main(argv: list[str]) -> int:
    """Run one workload in its own application and print what it did."""
    if len(argv) < 2 or argv[0] not in WORKLOADS:
        print(
            f"usage: run_informed_workload.py {{{','.join(WORKLOADS)}}} EVENT_LOG_DIR [key=value ...]",
            file=sys.stderr,
        )
        return 2
    name, log_dir = argv[0], argv[1]
    conf = dict(pair.split("=", 1) for pair in argv[2:])
    rows = int(conf.pop("rows", ROWS[name]))
    metrics_path = conf.pop("metrics", "")
    spark = _session(log_dir, conf)
    spark.sparkContext.setLogLevel("ERROR")
    metrics = SparkExecutionMetrics(spark)
    started = time.monotonic()
    checksum, tracked = metrics.track_execution(name, WORKLOADS[name], spark, rows)
    wall = time.monotonic() - started
    if metrics_path:
        metrics.export_metrics(metrics_path)
    app_id = spark.sparkContext.applicationId
    spark.stop()
    totals = tracked["totals"]
    # Spark's own numbers (its status store, through our metrics module), independent of the event log reader.
    spark_numbers = {
        k: totals[k]
        for k in (
            "memory_bytes_spilled",
            "disk_bytes_spilled",
            "executor_run_time_ms",
            "executor_cpu_time_ms",
            "num_tasks",
        )
    }
    print(
        json.dumps(
            {"application_id": app_id, "wall_seconds": round(wall, 3), "checksum": checksum, **spark_numbers}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
