"""Files read and written by the SQL executions behind a set of jobs (Spark's SQL metrics).

Task metrics carry bytes but not file counts; the SQL operators count files (``number of files
read`` on file scans, ``number of written files`` on writes). They live in the driver's SQL
status store, next to the status store the stage numbers come from.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession

FILES_READ = "number of files read"
FILES_WRITTEN = "number of written files"


def _count(text: str) -> int:
    # Sum metrics render as plain integers with US grouping ("1,234").
    return int(text.replace(",", "").split()[0])


def sql_file_counts(spark: SparkSession, job_ids: set[int], recent: int = 200) -> dict[str, Any]:
    """Files read/written by the SQL executions (among the ``recent`` newest) that ran ``job_ids``."""
    store = spark._jsparkSession.sharedState().statusStore()  # type: ignore[attr-defined]
    total = int(store.executionsCount())
    count = min(total, recent)
    executions = store.executionsList(total - count, count)
    result: dict[str, Any] = {"sql_execution_ids": [], "files_read": 0, "files_written": 0}
    for index in range(executions.length()):
        execution = executions.apply(index)
        jobs = execution.jobs().keysIterator()
        ran: set[int] = set()
        while jobs.hasNext():
            ran.add(int(jobs.next()))
        if not ran & job_ids:
            continue
        result["sql_execution_ids"].append(int(execution.executionId()))
        values = store.executionMetrics(execution.executionId())
        metrics = execution.metrics()
        seen: set[int] = set()  # adaptive plans list the same metric (accumulator) more than once
        for position in range(metrics.length()):
            metric = metrics.apply(position)
            key = {FILES_READ: "files_read", FILES_WRITTEN: "files_written"}.get(metric.name())
            if key is None or int(metric.accumulatorId()) in seen:
                continue
            seen.add(int(metric.accumulatorId()))
            value = values.get(metric.accumulatorId())
            if value.isDefined():
                result[key] += _count(value.get())
    return result
