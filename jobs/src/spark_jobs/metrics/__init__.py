"""Execution metrics and profiling from Spark's own numbers (status store, REST-shaped)."""

from __future__ import annotations

from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics

__all__ = ["SparkExecutionMetrics"]
