"""Turn bottleneck findings into concrete changes: configuration keys with values, or utilities."""

from __future__ import annotations

import math
from typing import Any

MIB = 1024 * 1024
ADVISORY_BYTES = 128 * MIB  # our tuned advisory partition size (the AWS guide's ~128 MB)


def _skew(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "config": {
            "spark.sql.adaptive.enabled": "true",
            "spark.sql.adaptive.skewJoin.enabled": "true",
            "spark.sql.adaptive.skewJoin.skewedPartitionFactor": "5",
            "spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes": "256MB",
            "spark.sql.adaptive.advisoryPartitionSizeInBytes": "128MB",
        },
        "utilities": [
            "spark_jobs.optimization.PartitionOptimizer.detect_skew",
            "spark_jobs.optimization.PartitionOptimizer.salted_join",
            "spark_jobs.optimization.PartitionOptimizer.salted_aggregate",
        ],
        "action": "AQE splits skewed sort-merge join partitions; aggregations and other joins need salting.",
    }


def _spill(finding: dict[str, Any]) -> dict[str, Any]:
    numbers = finding["numbers"]
    partitions = max(1, math.ceil((numbers["shuffle_read_bytes"] or 0) / (ADVISORY_BYTES / 2)))
    return {
        "config": {
            "spark.sql.shuffle.partitions": str(max(partitions, numbers["num_tasks"] * 2)),
            "spark.sql.adaptive.advisoryPartitionSizeInBytes": "64MB",
            "spark.executor.memory": "raise by 20% (or fewer cores per executor)",
        },
        "utilities": ["spark_jobs.optimization.PartitionOptimizer.optimize_partitions"],
        "action": "Give each task less data or more execution memory.",
    }


def _small_tasks(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "config": {
            "spark.sql.shuffle.partitions": str(finding["numbers"]["suggested_tasks"]),
            "spark.sql.adaptive.coalescePartitions.enabled": "true",
            "spark.sql.adaptive.coalescePartitions.parallelismFirst": "false",
        },
        "utilities": ["spark_jobs.optimization.PartitionOptimizer.coalesce_if_needed"],
        "action": "Fewer, larger tasks: about a tenth of the current count.",
    }


def _large_shuffle(finding: dict[str, Any]) -> dict[str, Any]:
    numbers = finding["numbers"]
    total = max(numbers["shuffle_read_bytes"], numbers["shuffle_write_bytes"])
    return {
        "config": {
            "spark.sql.shuffle.partitions": str(max(1, math.ceil(total / ADVISORY_BYTES))),
            "spark.sql.adaptive.advisoryPartitionSizeInBytes": "128MB",
            "spark.sql.autoBroadcastJoinThreshold": "raise if one join side is small",
        },
        "utilities": [
            "spark_jobs.optimization.QueryOptimizer.optimize_join",
            "spark_jobs.optimization.QueryOptimizer.prune_columns",
        ],
        "action": "Shuffle less (broadcast, prune columns) and in more partitions of ~128 MiB.",
    }


def _idle_cores(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "config": {
            "spark.dynamicAllocation.enabled": "true",
            "spark.dynamicAllocation.executorIdleTimeout": "60s",
            "spark.dynamicAllocation.maxExecutors": "lower it, or size executors down",
        },
        "utilities": ["spark_jobs.optimization.PartitionOptimizer.optimize_partitions"],
        "action": "Fewer cores, or enough partitions to keep them all busy; check driver-side work.",
    }


def _small_files(finding: dict[str, Any]) -> dict[str, Any]:
    if finding["numbers"]["direction"] == "read":
        return {
            "config": {
                "spark.sql.files.maxPartitionBytes": "128MB",
                "spark.sql.files.openCostInBytes": "4MB",
            },
            "utilities": ["compact the input (rewrite it with fewer, larger files)"],
            "action": "Pack small input files into fewer read tasks; compact the source.",
        }
    return {
        "config": {
            "spark.sql.adaptive.coalescePartitions.enabled": "true",
            "spark.sql.adaptive.advisoryPartitionSizeInBytes": "128MB",
        },
        "utilities": ["spark_jobs.optimization.PartitionOptimizer.coalesce_if_needed (before the write)"],
        "action": "Write fewer, larger files (coalesce or rebalance before writing).",
    }


_BUILDERS = {
    "SKEWED_STAGE": _skew,
    "SPILL": _spill,
    "TOO_MANY_SMALL_TASKS": _small_tasks,
    "LARGE_SHUFFLE": _large_shuffle,
    "IDLE_CORES": _idle_cores,
    "SMALL_FILES": _small_files,
}


def suggest_for(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One suggestion per finding, carrying the finding's code and stage."""
    suggestions = []
    for finding in findings:
        builder = _BUILDERS.get(finding["code"])
        if builder is None:
            raise ValueError(
                f"suggest_optimizations: unknown finding code {finding['code']!r}; known: {list(_BUILDERS)}"
            )
        suggestions.append({"code": finding["code"], "stage_id": finding.get("stage_id"), **builder(finding)})
    return suggestions
