"""Execution metrics and profiling from Spark's own numbers (status store, REST-shaped)."""

from __future__ import annotations

from spark_jobs.metrics.bottlenecks import CODES, BottleneckThresholds, analyze_bottlenecks
from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics
from spark_jobs.metrics.performance_profiler import OperationProfile, PerformanceProfiler

__all__ = [
    "CODES",
    "BottleneckThresholds",
    "OperationProfile",
    "PerformanceProfiler",
    "SparkExecutionMetrics",
    "analyze_bottlenecks",
]
