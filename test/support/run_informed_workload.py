"""One small Spark application for the run-informed tuning tests and benchmark.

Usage: python run_informed_workload.py WORKLOAD EVENT_LOG_DIR [key=value ...]

WORKLOAD is ``spill`` (a sort-merge join of two wide-keyed tables: spills with a small heap and
few shuffle partitions), ``agg`` (an aggregation over about a million groups with a string maximum: spills
with a small heap), ``tiny`` (a join and aggregation, cheap per row, so far too many shuffle partitions
make it slow), ``skew`` (a join where one key holds 70% of the rows) or ``small-files`` (reads 3200
small Parquet files, written beforehand with pyarrow so the event log holds only the scan; ``data=PATH``
keeps them there for the next run). Each key=value is a Spark property set before the session starts
(``spark.driver.memory`` sizes the local JVM); ``rows=N`` scales the data and ``metrics=PATH`` also
writes our ``_metrics.json`` there. The event log is
written to EVENT_LOG_DIR with the line's defaults (4.0 compresses with zstd and rolls) unless the
properties say otherwise. Prints one JSON line: the application id, the wall time and a result
checksum (so runs under different configurations can be compared for equal results).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.metrics import SparkExecutionMetrics

ROWS = {"spill": 2_000_000, "agg": 2_000_000, "tiny": 200_000, "skew": 2_500_000, "small-files": 320_000}


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


def _agg(spark: SparkSession, rows: int) -> int:
    # About rows/2 groups, each with a sum, a count and the maximum of a 32-character string: the hash
    # aggregation outgrows a small heap, falls back to sorting and spills.
    groups = max(1, rows // 2)
    data = spark.range(0, rows, 1, 4).select(
        ((F.col("id") * 7919) % groups).alias("k"),
        F.col("id").alias("a"),
        F.concat(F.hex(F.xxhash64("id")), F.hex(F.xxhash64("id", F.lit(1)))).alias("s"),
    )
    out = data.groupBy("k").agg(F.sum("a").alias("t"), F.count("*").alias("n"), F.max("s").alias("m"))
    return int(out.select(F.sum((F.col("t") + F.col("n") + F.length("m")) % 1_000_003)).first()[0])


def _tiny(spark: SparkSession, rows: int) -> int:
    left = spark.range(rows).select((F.col("id") % 5000).alias("k"), F.col("id").alias("a"))
    right = spark.range(rows // 4).select((F.col("id") % 5000).alias("k"), F.col("id").alias("b"))
    out = left.join(right, "k").groupBy("k").agg(F.count("*").alias("n"))
    return int(out.select(F.sum("n")).first()[0])


def _skew(spark: SparkSession, rows: int) -> int:
    # 70% of the left rows share key 0, each with a 64-character payload that compresses poorly, so the hot
    # key's shuffle partition is large; 8 map tasks so AQE can split it by map output.
    payload = F.concat(*[F.hex(F.xxhash64(F.col("id"), F.lit(i))) for i in range(4)])
    left = spark.range(0, rows, 1, 8).select(
        F.when(F.col("id") % 10 < 7, F.lit(0)).otherwise(F.col("id") % 1000).alias("k"),
        payload.alias("p"),
    )
    right = spark.range(0, 1000, 1, 2).select(F.col("id").alias("k"), F.col("id").alias("b"))
    out = left.join(right, "k")
    return int(out.select(F.sum(F.length("p") + F.col("b"))).first()[0])


SMALL_FILES = 3200


def _write_small_files(path: str, rows: int) -> None:
    # Written with pyarrow, not Spark, so the run's event log holds only the scan being tuned.
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(path, exist_ok=True)
    per_file = max(1, rows // SMALL_FILES)
    for i in range(SMALL_FILES):
        ids = list(range(i * per_file, (i + 1) * per_file))
        pq.write_table(pa.table({"k": [x % 100 for x in ids], "v": ids}), f"{path}/part-{i:05d}.parquet")
    open(f"{path}/_SUCCESS", "w").close()


def _small_files(spark: SparkSession, rows: int, data: str) -> int:
    back = spark.read.parquet(data)
    return int(back.groupBy("k").agg(F.sum("v").alias("s")).select(F.sum("s")).first()[0])


WORKLOADS = {"spill": _spill, "agg": _agg, "tiny": _tiny, "skew": _skew, "small-files": _small_files}


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
    data = conf.pop("data", "")
    extra: tuple[str, ...] = ()
    with tempfile.TemporaryDirectory() as tmp:
        if name == "small-files":
            data = data or f"{tmp}/files"
            if not os.path.exists(f"{data}/_SUCCESS"):
                _write_small_files(data, rows)
            extra = (data,)
        return _run(name, log_dir, conf, rows, metrics_path, extra)


def _run(
    name: str, log_dir: str, conf: dict[str, str], rows: int, metrics_path: str, extra: tuple[str, ...]
) -> int:
    spark = _session(log_dir, conf)
    spark.sparkContext.setLogLevel("ERROR")
    metrics = SparkExecutionMetrics(spark)
    started = time.monotonic()
    checksum, tracked = metrics.track_execution(name, WORKLOADS[name], spark, rows, *extra)
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
