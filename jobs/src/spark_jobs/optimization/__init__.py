"""Optimization utilities: caching, partition sizing and skew fixes, physical-plan analysis."""

from __future__ import annotations

from spark_jobs.optimization.caching import SparkCacheManager
from spark_jobs.optimization.partitioning import PartitionOptimizer
from spark_jobs.optimization.query_optimizer import QueryOptimizer

__all__ = ["PartitionOptimizer", "QueryOptimizer", "SparkCacheManager"]
