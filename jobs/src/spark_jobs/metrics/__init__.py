"""Execution metrics and profiling from Spark's own numbers (status store, REST-shaped)."""

from __future__ import annotations

from spark_jobs.metrics.bottlenecks import CODES, BottleneckThresholds, analyze_bottlenecks
from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics
from spark_jobs.metrics.performance_profiler import PerformanceProfiler

__all__ = [
    "CODES",
    "BottleneckThresholds",
    "PerformanceProfiler",
    "SparkExecutionMetrics",
    "analyze_bottlenecks",
]
