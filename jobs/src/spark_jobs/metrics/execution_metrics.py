"""Job, stage and task metrics for exactly the Spark jobs a piece of code ran.

``SparkExecutionMetrics.track_execution`` runs a function under a fresh job group, so every job
it triggers (including the jobs AQE and broadcasts start on other threads, which inherit the
group) can be found afterwards, and nothing else running in the application is counted. The
numbers come from the driver's status store, the same source as the Spark UI and REST API.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

from pyspark.sql import SparkSession

from spark_jobs.metrics.export import format_for_path, stages_to_csv, to_json, write_text
from spark_jobs.metrics.stage_records import TASK_DISTRIBUTION_FIELDS, job_record, stage_record, totals
from spark_jobs.metrics.status_store import StatusStoreReader

T = TypeVar("T")

# Local properties that make up a job group; saved and restored around each tracked call.
_GROUP_PROPERTIES = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")
# Spark's default for spark.redaction.regex, used when the session does not set one.
_DEFAULT_REDACTION_REGEX = r"(?i)secret|password|token|access[.]?key"
REDACTED = "*********(redacted)"


class SparkExecutionMetrics:
    """Collects Spark's own metrics for tracked executions and exports them.

    Args:
        spark: the active session; only its driver is read (no network access).
        listener_timeout_ms: how long to wait for the status listener to catch up after a
            tracked call; a metrics record is marked ``complete: False`` if it did not.
    """

    def __init__(self, spark: SparkSession, listener_timeout_ms: int = 30_000) -> None:
        """Bind to ``spark``'s driver; no state is created in Spark until something is tracked."""
        if listener_timeout_ms <= 0:
            raise ValueError(f"listener_timeout_ms must be > 0, got {listener_timeout_ms!r}")
        self.spark = spark
        self.listener_timeout_ms = listener_timeout_ms
        self.reader = StatusStoreReader(spark.sparkContext)
        self._application = {
            "application_id": spark.sparkContext.applicationId,
            "spark_version": spark.version,
        }
        self.executions: list[dict[str, Any]] = []

    def track_execution(
        self, name: str, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> tuple[T, dict[str, Any]]:
        """Run ``fn(*args, **kwargs)`` and return ``(result, metrics)``.

        ``metrics`` holds ``jobs``, ``stages`` (one record per stage attempt) and ``totals`` for
        the jobs ``fn`` ran, plus ``name``, ``job_group``, ``wall_clock_ms`` and ``status``. If
        ``fn`` raises, the metrics of the failed run are still recorded (see ``executions``)
        and the exception propagates.
        """
        if not callable(fn):
            raise TypeError(f"track_execution: fn must be callable, got {type(fn).__name__}")
        with self.tracking(name) as metrics:
            result = fn(*args, **kwargs)
        return result, metrics

    @contextmanager
    def tracking(self, name: str) -> Iterator[dict[str, Any]]:
        """Context manager form of ``track_execution``: the yielded dict is filled on exit."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"track_execution: name must be a non-empty string, got {name!r}")
        sc = self.spark.sparkContext
        group_id = f"spark-jobs-metrics-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}-{uuid.uuid4().hex[:12]}"
        saved = {key: sc.getLocalProperty(key) for key in _GROUP_PROPERTIES}
        sc.setJobGroup(group_id, name, interruptOnCancel=False)
        metrics: dict[str, Any] = {}
        started_at = datetime.now(timezone.utc)
        start = time.perf_counter()
        status = "succeeded"
        try:
            yield metrics
        except BaseException:
            status = "failed"
            raise
        finally:
            wall_clock_ms = (time.perf_counter() - start) * 1000.0
            for key, value in saved.items():
                # Spark clears a property set to None; pyspark's annotation says str only.
                sc.setLocalProperty(key, value)  # type: ignore[arg-type]
            metrics.update(self.collect_group(group_id, name))
            metrics.update(
                started_at=started_at.isoformat(),
                wall_clock_ms=round(wall_clock_ms, 3),
                status=status,
            )
            self.executions.append(metrics)

    def collect_group(self, group_id: str, name: str | None = None) -> dict[str, Any]:
        """Metrics for every retained job of an existing job group (also used by the profiler)."""
        complete = self.reader.wait_for_listeners(self.listener_timeout_ms)
        jobs = [j for j in (self.reader.job(i) for i in self.reader.job_ids_for_group(group_id)) if j]
        job_records = [job_record(j) for j in jobs]
        stage_ids = sorted({s for j in job_records for s in j["stage_ids"]})
        stages = []
        for stage_id in stage_ids:
            for attempt in self.reader.stage_attempts(stage_id):
                summary = None
                if attempt.get("status") != "SKIPPED" and attempt.get("numCompleteTasks", 0) > 0:
                    summary = self.reader.task_summary(stage_id, int(attempt["attemptId"]))
                stages.append(stage_record(attempt, summary))
        return {
            "name": name or group_id,
            "job_group": group_id,
            **self._application,
            "complete": complete,
            "jobs": job_records,
            "stages": stages,
            "totals": totals(job_records, stages),
        }

    def get_executor_metrics(self, wait: bool = True) -> list[dict[str, Any]]:
        """Every executor known to the driver (active and removed), as Spark reports them.

        ``wait=False`` skips waiting for the listener (when the caller just did).
        """
        if wait:
            self.reader.wait_for_listeners(self.listener_timeout_ms)
        result = []
        for e in self.reader.executors(active_only=False):
            memory = e.get("memoryMetrics", {})
            result.append(
                {
                    "executor_id": e["id"],
                    "host_port": e.get("hostPort"),
                    "is_active": e.get("isActive"),
                    "total_cores": e.get("totalCores"),
                    "max_tasks": e.get("maxTasks"),
                    "completed_tasks": e.get("completedTasks"),
                    "failed_tasks": e.get("failedTasks"),
                    "total_duration_ms": e.get("totalDuration"),
                    "total_gc_time_ms": e.get("totalGCTime"),
                    "total_input_bytes": e.get("totalInputBytes"),
                    "total_shuffle_read_bytes": e.get("totalShuffleRead"),
                    "total_shuffle_write_bytes": e.get("totalShuffleWrite"),
                    "storage_memory_used_bytes": e.get("memoryUsed"),
                    "storage_memory_max_bytes": e.get("maxMemory"),
                    "disk_used_bytes": e.get("diskUsed"),
                    "on_heap_storage_memory_total_bytes": memory.get("totalOnHeapStorageMemory"),
                    "peak_memory_metrics": e.get("peakMemoryMetrics", {}),
                    "add_time_ms": e.get("addTime"),
                    "remove_time_ms": e.get("removeTime"),
                }
            )
        return result

    # ---- the documented API of the original system: thin views over the tracked executions ----

    def _tracked(self, name: str | None) -> list[dict[str, Any]]:
        chosen = [e for e in self.executions if name is None or e["name"] == name]
        if name is not None and not chosen:
            raise ValueError(
                f"no tracked execution named {name!r}; tracked: {[e['name'] for e in self.executions]}"
            )
        return chosen

    def collect_job_metrics(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every Spark job of the tracked executions (or of the one named), each with its ``execution``."""
        return [{"execution": e["name"], **job} for e in self._tracked(name) for job in e["jobs"]]

    def get_stage_info(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every stage attempt of the tracked executions (or of the one named), with its ``execution``."""
        return [{"execution": e["name"], **stage} for e in self._tracked(name) for stage in e["stages"]]

    def get_task_metrics(self, name: str | None = None) -> list[dict[str, Any]]:
        """Per stage attempt: its task count and the min/median/max task numbers Spark summarized."""
        keys = ("execution", "stage_id", "attempt_id", "num_tasks", "num_failed_tasks")
        prefixes = tuple(prefix + "_" for prefix, _ in TASK_DISTRIBUTION_FIELDS)
        return [
            {k: v for k, v in stage.items() if k in keys or k.startswith(prefixes)}
            for stage in self.get_stage_info(name)
        ]

    def get_memory_usage(self) -> list[dict[str, Any]]:
        """Per executor (driver included): storage memory used and available, disk used, peak memory."""
        keys = (
            "executor_id",
            "is_active",
            "storage_memory_used_bytes",
            "storage_memory_max_bytes",
            "on_heap_storage_memory_total_bytes",
            "disk_used_bytes",
            "peak_memory_metrics",
        )
        return [{k: e[k] for k in keys} for e in self.get_executor_metrics()]

    def get_spark_config(self) -> dict[str, str]:
        """The SparkConf plus session SQL settings, with secrets redacted by spark.redaction.regex."""
        conf = dict(self.spark.sparkContext.getConf().getAll())
        # SET lists the session's SQL settings on both Spark lines (it runs no Spark job).
        conf.update({row[0]: str(row[1]) for row in self.spark.sql("SET").collect()})
        pattern = re.compile(conf.get("spark.redaction.regex", _DEFAULT_REDACTION_REGEX))
        return {
            k: (REDACTED if pattern.search(k) or pattern.search(v) else v) for k, v in sorted(conf.items())
        }

    def export_metrics(self, path: str, fmt: str | None = None) -> str:
        """Write every tracked execution to ``path`` and return it.

        JSON (``.json``) holds the application id, Spark version, executors and each execution
        in full. CSV (``.csv``) holds one row per stage attempt, prefixed by the execution name
        and job group. ``path`` may be local or any Hadoop URI such as ``s3a://bucket/key``.
        """
        chosen = format_for_path(path, fmt)
        if chosen == "json":
            document = {
                "application_id": self.spark.sparkContext.applicationId,
                "spark_version": self.spark.version,
                "executors": self.get_executor_metrics(),
                "executions": self.executions,
            }
            text = to_json(document)
        else:
            rows = [
                {"execution": e["name"], "job_group": e["job_group"], **stage}
                for e in self.executions
                for stage in e["stages"]
            ]
            text = stages_to_csv(rows)
        return write_text(self.spark.sparkContext, path, text)
