"""Files read and written by the SQL executions behind a set of jobs (Spark's SQL metrics).

Task metrics carry bytes but not file counts; the SQL operators count files (``number of files
read`` on file scans, ``number of written files`` on writes). They live in the driver's SQL
status store, next to the status store the stage numbers come from.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession

from spark_jobs.metrics.status_store import StatusStoreReader

FILES_READ = "number of files read"
FILES_WRITTEN = "number of written files"


def _count(text: str) -> int:
    # Sum metrics render as plain integers with US grouping ("1,234").
    return int(text.replace(",", "").split()[0])


def sql_status_store(spark: SparkSession) -> Any:
    """The driver's SQL status store (JVM object); fetch it once and reuse it."""
    return spark._jsparkSession.sharedState().statusStore()


def sql_file_counts(
    store: Any, reader: StatusStoreReader, job_ids: set[int], count_before: int = 0
) -> dict[str, Any]:
    """Files read/written by the SQL executions that ran ``job_ids``.

    Only executions listed after ``count_before`` (plus a margin for executions Spark evicted
    meanwhile) are read, so the cost does not grow with the application's history.
    """
    total = int(store.executionsCount())
    count = min(total, max(total - count_before, 0) + 8)
    executions = store.executionsList(total - count, count)
    result: dict[str, Any] = {"sql_execution_ids": [], "files_read": 0, "files_written": 0}
    for index in range(executions.length()):
        execution = executions.apply(index)
        if not {int(j) for j in reader.to_python(execution.jobs())} & job_ids:
            continue
        result["sql_execution_ids"].append(int(execution.executionId()))
        values = reader.to_python(store.executionMetrics(execution.executionId()))
        # Adaptive plans list the same metric (accumulator) more than once: count each once.
        wanted = {
            int(m["accumulatorId"]): m["name"]
            for m in reader.to_python(execution.metrics())
            if m["name"] in (FILES_READ, FILES_WRITTEN)
        }
        for accumulator_id, name in wanted.items():
            text = values.get(str(accumulator_id))
            if text is not None:
                result["files_read" if name == FILES_READ else "files_written"] += _count(text)
    return result
