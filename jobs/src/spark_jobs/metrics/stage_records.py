"""Turn the status store's REST-shaped job and stage objects into flat, stable records.

Field names are snake_case and carry their unit (``_ms``, ``_bytes``). Times Spark reports in
nanoseconds (CPU time, shuffle write time) are converted to milliseconds.
"""

from __future__ import annotations

from typing import Any

# (record field, StageData field, divisor) for the per-stage sums Spark keeps.
STAGE_SUM_FIELDS: tuple[tuple[str, str, float], ...] = (
    ("executor_run_time_ms", "executorRunTime", 1.0),
    ("executor_cpu_time_ms", "executorCpuTime", 1e6),
    ("executor_deserialize_time_ms", "executorDeserializeTime", 1.0),
    ("jvm_gc_time_ms", "jvmGcTime", 1.0),
    ("result_size_bytes", "resultSize", 1.0),
    ("input_bytes", "inputBytes", 1.0),
    ("input_records", "inputRecords", 1.0),
    ("output_bytes", "outputBytes", 1.0),
    ("output_records", "outputRecords", 1.0),
    ("shuffle_read_bytes", "shuffleReadBytes", 1.0),
    ("shuffle_read_records", "shuffleReadRecords", 1.0),
    ("shuffle_remote_bytes_read", "shuffleRemoteBytesRead", 1.0),
    ("shuffle_fetch_wait_time_ms", "shuffleFetchWaitTime", 1.0),
    ("shuffle_write_bytes", "shuffleWriteBytes", 1.0),
    ("shuffle_write_records", "shuffleWriteRecords", 1.0),
    ("shuffle_write_time_ms", "shuffleWriteTime", 1e6),
    ("memory_bytes_spilled", "memoryBytesSpilled", 1.0),
    ("disk_bytes_spilled", "diskBytesSpilled", 1.0),
    ("peak_execution_memory", "peakExecutionMemory", 1.0),
)

# (record prefix, path in TaskMetricDistributions) for the per-task min/median/max.
TASK_DISTRIBUTION_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("task_duration_ms", ("duration",)),
    ("task_run_time_ms", ("executorRunTime",)),
    ("task_gc_time_ms", ("jvmGcTime",)),
    ("task_peak_execution_memory", ("peakExecutionMemory",)),
    ("task_input_bytes", ("inputMetrics", "bytesRead")),
    ("task_output_bytes", ("outputMetrics", "bytesWritten")),
    ("task_shuffle_read_bytes", ("shuffleReadMetrics", "readBytes")),
    ("task_shuffle_write_bytes", ("shuffleWriteMetrics", "writeBytes")),
    ("task_spilled_bytes", ("diskBytesSpilled",)),
)

STAT_NAMES: tuple[str, ...] = ("min", "median", "max")


def _number(value: float, divisor: float) -> float | int:
    if divisor == 1.0:
        return int(value)
    return round(value / divisor, 3)


def _span_ms(start: int | None, end: int | None) -> int | None:
    if start is None or end is None:
        return None
    return int(end) - int(start)


def job_record(job: dict[str, Any]) -> dict[str, Any]:
    """A flat record of one ``JobData``."""
    submitted = job.get("submissionTime")
    completed = job.get("completionTime")
    return {
        "job_id": int(job["jobId"]),
        "name": job.get("name", ""),
        "status": job.get("status", "UNKNOWN"),
        "stage_ids": [int(s) for s in job.get("stageIds", [])],
        "submission_time_ms": submitted,
        "completion_time_ms": completed,
        "duration_ms": _span_ms(submitted, completed),
        "num_tasks": int(job.get("numTasks", 0)),
        "num_failed_tasks": int(job.get("numFailedTasks", 0)),
        "num_skipped_stages": int(job.get("numSkippedStages", 0)),
    }


def stage_record(stage: dict[str, Any], task_summary: dict[str, Any] | None) -> dict[str, Any]:
    """A flat record of one ``StageData`` attempt, with min/median/max task numbers when known."""
    submitted = stage.get("submissionTime")
    completed = stage.get("completionTime")
    record: dict[str, Any] = {
        "stage_id": int(stage["stageId"]),
        "attempt_id": int(stage["attemptId"]),
        "name": stage.get("name", ""),
        "status": stage.get("status", "UNKNOWN"),
        "num_tasks": int(stage.get("numTasks", 0)),
        "num_failed_tasks": int(stage.get("numFailedTasks", 0)),
        "submission_time_ms": submitted,
        "first_task_launched_time_ms": stage.get("firstTaskLaunchedTime"),
        "completion_time_ms": completed,
        "duration_ms": _span_ms(submitted, completed),
    }
    for field, source, divisor in STAGE_SUM_FIELDS:
        record[field] = _number(float(stage.get(source, 0) or 0), divisor)
    for prefix, path in TASK_DISTRIBUTION_FIELDS:
        values = _distribution(task_summary, path)
        for stat, value in zip(STAT_NAMES, values):
            record[f"{prefix}_{stat}"] = value
    return record


def _distribution(summary: dict[str, Any] | None, path: tuple[str, ...]) -> list[float | None]:
    node: Any = summary
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return [None] * len(STAT_NAMES)
        node = node[key]
    return [float(v) for v in node]


def totals(jobs: list[dict[str, Any]], stages: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums over the stage attempts that actually ran (skipped stages reuse earlier output)."""
    ran = [s for s in stages if s["status"] != "SKIPPED"]
    result: dict[str, Any] = {
        "num_jobs": len(jobs),
        "num_stages": len(ran),
        "num_skipped_stages": len(stages) - len(ran),
        "num_tasks": sum(s["num_tasks"] for s in ran),
        "num_failed_tasks": sum(s["num_failed_tasks"] for s in ran),
        "stage_duration_ms": sum(s["duration_ms"] or 0 for s in ran),
    }
    for field, _source, divisor in STAGE_SUM_FIELDS:
        total = sum(s[field] for s in ran)
        result[field] = round(total, 3) if divisor != 1.0 else int(total)
    result["max_task_peak_execution_memory"] = max(
        (s["task_peak_execution_memory_max"] or 0 for s in ran), default=0
    )
    return result
