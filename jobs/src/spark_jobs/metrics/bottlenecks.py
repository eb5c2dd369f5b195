"""Find performance problems in a profile, with stable codes and the numbers behind each.

Defaults follow Dataflint's alerts (facts-spark-tuning.md §5.4): partition skew at max/median
task time > 10x with the slowest task > 5 s; many small tasks at > 5000 tasks with median
< 500 ms; large partitions above 5 GiB; idle cores above 50%; small files below 3 MiB average
with > 100 files. Every threshold is a field of ``BottleneckThresholds`` so small test or bench
workloads can use proportionally smaller ones.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Optional

MIB = 1024 * 1024
GIB = 1024 * MIB
CODES = ("SKEWED_STAGE", "SPILL", "TOO_MANY_SMALL_TASKS", "LARGE_SHUFFLE", "IDLE_CORES", "SMALL_FILES")


@dataclass(frozen=True)
class BottleneckThresholds:
    """Trigger levels for ``analyze_bottlenecks`` (defaults: Dataflint's)."""

    skew_ratio: float = 10.0
    """Max task / typical task (run time or bytes) at or above which a stage is skewed."""
    skew_min_task_ms: float = 5_000.0
    """Slowest task must run at least this long for time-based skew."""
    skew_min_partition_bytes: int = 256 * MIB
    """Largest task input/shuffle read must be at least this big for data-based skew (AQE's 256MB)."""
    spill_min_bytes: int = 1
    """Memory + disk bytes spilled in a stage at or above which SPILL is raised."""
    small_tasks_min_count: int = 5_000
    small_tasks_max_median_ms: float = 500.0
    large_partition_bytes: int = 5 * GIB
    """Largest per-task shuffle read or write at or above which LARGE_SHUFFLE is raised."""
    idle_cores_ratio: float = 0.5
    idle_min_wall_clock_ms: float = 30_000.0
    """Operations shorter than this are not judged on idle cores (start-up dominates)."""
    small_files_max_avg_bytes: int = 3 * MIB
    small_files_min_count: int = 100

    def __post_init__(self) -> None:
        """Reject thresholds that cannot mean anything."""
        for name, value in asdict(self).items():
            if value < 0 or (isinstance(value, float) and math.isnan(value)):
                raise ValueError(f"BottleneckThresholds.{name} must be >= 0, got {value!r}")
        if self.skew_ratio <= 1:
            raise ValueError(f"BottleneckThresholds.skew_ratio must be > 1, got {self.skew_ratio!r}")
        if not 0 < self.idle_cores_ratio < 1:
            raise ValueError(
                f"BottleneckThresholds.idle_cores_ratio must be in (0, 1), got {self.idle_cores_ratio!r}"
            )


def _finding(
    code: str, severity: str, message: str, stage_id: Optional[int] = None, **numbers: Any
) -> dict[str, Any]:
    return {"code": code, "severity": severity, "stage_id": stage_id, "message": message, "numbers": numbers}


def _typical(stage: dict[str, Any], prefix: str, total_field: str) -> float:
    """The typical task's value: the smaller of Spark's median and the mean of the other tasks.

    Spark's quantiles pick an element by index, so with two tasks the "median" is the larger
    one; the mean of the other tasks (from the stage total) keeps a 2-task stage comparable.
    """
    median = stage[f"{prefix}_median"] or 0.0
    others = (float(stage[total_field]) - (stage[f"{prefix}_max"] or 0.0)) / max(stage["num_tasks"] - 1, 1)
    return float(max(min(median, others), 0.0))


def _skew(stage: dict[str, Any], t: BottleneckThresholds) -> Optional[dict[str, Any]]:
    if stage["num_tasks"] < 2 or stage["task_run_time_ms_max"] is None:
        return None
    typical_ms = _typical(stage, "task_run_time_ms", "executor_run_time_ms")
    time_ratio = stage["task_run_time_ms_max"] / max(typical_ms, 1.0)
    by_time = stage["task_run_time_ms_max"] >= t.skew_min_task_ms and time_ratio >= t.skew_ratio
    data, total = max(
        (("task_shuffle_read_bytes", "shuffle_read_bytes"), ("task_input_bytes", "input_bytes")),
        key=lambda pair: stage[f"{pair[0]}_max"] or 0,
    )
    typical_bytes = _typical(stage, data, total)
    data_ratio = (stage[f"{data}_max"] or 0.0) / max(typical_bytes, 1.0)
    by_data = (stage[f"{data}_max"] or 0) >= t.skew_min_partition_bytes and data_ratio >= t.skew_ratio
    if not (by_time or by_data):
        return None
    return _finding(
        "SKEWED_STAGE",
        "high",
        f"Stage {stage['stage_id']}: the largest task is {max(time_ratio, data_ratio):.1f}x a typical task "
        f"({'run time' if by_time else data.replace('task_', '').replace('_', ' ')}).",
        stage["stage_id"],
        task_run_time_ms_max=stage["task_run_time_ms_max"],
        task_run_time_ms_typical=round(typical_ms, 3),
        run_time_ratio=round(time_ratio, 3),
        data_metric=data,
        data_bytes_max=stage[f"{data}_max"],
        data_bytes_typical=round(typical_bytes, 1),
        data_ratio=round(data_ratio, 3),
        num_tasks=stage["num_tasks"],
    )


def _stage_findings(stage: dict[str, Any], t: BottleneckThresholds) -> list[dict[str, Any]]:
    findings = []
    skew = _skew(stage, t)
    if skew:
        findings.append(skew)
    spilled = stage["memory_bytes_spilled"] + stage["disk_bytes_spilled"]
    if spilled >= max(t.spill_min_bytes, 1):
        findings.append(
            _finding(
                "SPILL",
                "medium",
                f"Stage {stage['stage_id']} spilled {stage['disk_bytes_spilled']} bytes to disk "
                f"({stage['memory_bytes_spilled']} bytes in memory form).",
                stage["stage_id"],
                memory_bytes_spilled=stage["memory_bytes_spilled"],
                disk_bytes_spilled=stage["disk_bytes_spilled"],
                peak_execution_memory=stage["peak_execution_memory"],
                shuffle_read_bytes=stage["shuffle_read_bytes"],
                num_tasks=stage["num_tasks"],
            )
        )
    median_ms = stage["task_duration_ms_median"]
    if (
        stage["num_tasks"] > t.small_tasks_min_count
        and median_ms is not None
        and median_ms < t.small_tasks_max_median_ms
    ):
        findings.append(
            _finding(
                "TOO_MANY_SMALL_TASKS",
                "medium",
                f"Stage {stage['stage_id']} ran {stage['num_tasks']} tasks, median {median_ms:.0f} ms.",
                stage["stage_id"],
                num_tasks=stage["num_tasks"],
                task_duration_ms_median=median_ms,
                suggested_tasks=max(1, stage["num_tasks"] // 10),
            )
        )
    largest = max(stage["task_shuffle_read_bytes_max"] or 0, stage["task_shuffle_write_bytes_max"] or 0)
    if largest >= t.large_partition_bytes and largest > 0:
        findings.append(
            _finding(
                "LARGE_SHUFFLE",
                "high",
                f"Stage {stage['stage_id']} moves {largest} bytes through a single task's shuffle partition.",
                stage["stage_id"],
                largest_task_shuffle_bytes=largest,
                shuffle_read_bytes=stage["shuffle_read_bytes"],
                shuffle_write_bytes=stage["shuffle_write_bytes"],
                num_tasks=stage["num_tasks"],
            )
        )
    return findings


def _idle_cores(profile: dict[str, Any], t: BottleneckThresholds) -> Optional[dict[str, Any]]:
    cores, wall = profile.get("total_cores") or 0, profile.get("wall_clock_ms") or 0.0
    if cores <= 0 or wall < max(t.idle_min_wall_clock_ms, 1e-9):
        return None
    busy = float(profile["totals"]["executor_run_time_ms"])
    available = cores * wall
    idle = max(0.0, 1.0 - busy / available)
    if idle < t.idle_cores_ratio:
        return None
    return _finding(
        "IDLE_CORES",
        "medium",
        f"{idle:.0%} of {cores} cores x {wall:.0f} ms went unused by tasks.",
        total_cores=cores,
        wall_clock_ms=wall,
        busy_core_ms=busy,
        available_core_ms=available,
        idle_ratio=round(idle, 4),
    )


def _small_files(profile: dict[str, Any], t: BottleneckThresholds) -> list[dict[str, Any]]:
    files = profile.get("files") or {}
    findings = []
    for direction, count_key, bytes_key in (
        ("read", "files_read", "input_bytes"),
        ("written", "files_written", "output_bytes"),
    ):
        count = int(files.get(count_key) or 0)
        size = int(profile["totals"][bytes_key])
        if count <= t.small_files_min_count:
            continue
        average = size / count
        if average < t.small_files_max_avg_bytes:
            findings.append(
                _finding(
                    "SMALL_FILES",
                    "medium",
                    f"{count} files {direction} averaging {average:.0f} bytes (ideal about 128 MiB).",
                    direction=direction,
                    files=count,
                    total_bytes=size,
                    average_file_bytes=round(average, 1),
                )
            )
    return findings


def analyze_bottlenecks(
    profile: dict[str, Any], thresholds: Optional[BottleneckThresholds] = None
) -> list[dict[str, Any]]:
    """Findings for one profile (a ``PerformanceProfiler`` profile or tracked metrics dict).

    Each finding has ``code`` (one of ``CODES``), ``severity``, ``stage_id`` (None for
    application-level findings), a sentence, and the ``numbers`` that triggered it.
    """
    t = thresholds or BottleneckThresholds()
    findings = []
    for stage in profile.get("stages", []):
        if stage["status"] != "SKIPPED":
            findings.extend(_stage_findings(stage, t))
    idle = _idle_cores(profile, t)
    if idle:
        findings.append(idle)
    findings.extend(_small_files(profile, t))
    return findings
