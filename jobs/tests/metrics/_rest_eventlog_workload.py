"""Run a tracked workload in its own Spark application and dump three views of its stages.

Started by test_metrics_vs_rest_and_event_log.py in a subprocess, because it needs static
settings the shared test session must not have: the UI on (for the REST API) and an event log.
The event log is written uncompressed and unrolled so Spark 3.5 and 4.0 produce one plain file
(4.0 compresses and rolls by default). Prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.metrics import SparkExecutionMetrics


def _rest(base: str, path: str) -> object:
    with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:
        return json.loads(response.read())


def _event_log_stage_sums(log_dir: Path) -> dict[str, dict[str, int]]:
    """Sum task-level shuffle and input metrics per 'stage:attempt' from TaskEnd events."""
    files = [p for p in log_dir.iterdir() if p.is_file()]
    sums: dict[str, dict[str, int]] = {}
    for line in files[0].read_text().splitlines():
        event = json.loads(line)
        if event.get("Event") != "SparkListenerTaskEnd" or "Task Metrics" not in event:
            continue
        key = f"{event['Stage ID']}:{event['Stage Attempt ID']}"
        metrics = event["Task Metrics"]
        read = metrics["Shuffle Read Metrics"]
        entry = sums.setdefault(key, {"shuffle_write_bytes": 0, "shuffle_read_bytes": 0, "input_records": 0})
        entry["shuffle_write_bytes"] += metrics["Shuffle Write Metrics"]["Shuffle Bytes Written"]
        entry["shuffle_read_bytes"] += read["Remote Bytes Read"] + read["Local Bytes Read"]
        entry["input_records"] += metrics["Input Metrics"]["Records Read"]
    return sums


def main(work_dir: str) -> None:
    """Run the workload, then print metrics, REST stages and event-log sums as JSON."""
    log_dir = Path(work_dir) / "events"
    log_dir.mkdir(parents=True)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("metrics-vs-rest")
        .config("spark.ui.enabled", "true")
        .config("spark.ui.port", "0")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.eventLog.enabled", "true")
        .config("spark.eventLog.dir", log_dir.as_uri())
        .config("spark.eventLog.compress", "false")
        .config("spark.eventLog.rolling.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.autoBroadcastJoinThreshold", "-1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    metrics = SparkExecutionMetrics(spark)
    spark.range(1000).count()  # an untracked job that must not show up

    def workload() -> int:
        left = spark.range(0, 200_000).withColumn("k", F.col("id") % 97)
        right = spark.range(0, 50_000).withColumn("k", F.col("id") % 89).withColumnRenamed("id", "rid")
        joined = left.join(right, "k").groupBy("k").agg(F.count("*").alias("n"), F.sum("rid").alias("s"))
        return joined.count()

    rows, tracked = metrics.track_execution("join-and-aggregate", workload)
    base = f"{spark.sparkContext.uiWebUrl}/api/v1/applications/{spark.sparkContext.applicationId}"
    rest_stages = {}
    for stage in tracked["stages"]:
        key = f"{stage['stage_id']}:{stage['attempt_id']}"
        rest_stages[key] = _rest(base, f"/stages/{stage['stage_id']}/{stage['attempt_id']}")
    rest_jobs = _rest(base, "/jobs")
    spark.stop()
    print(
        json.dumps(
            {
                "rows": rows,
                "metrics": tracked,
                "rest_stages": rest_stages,
                "rest_jobs": rest_jobs,
                "event_log": _event_log_stage_sums(log_dir),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
