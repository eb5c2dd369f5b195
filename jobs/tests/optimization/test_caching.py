"""SparkCacheManager: caching on reuse, level choice from sizes, stats from Spark's block manager."""

from __future__ import annotations

import pytest
from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.optimization import SparkCacheManager


def test_cached_only_once_reused(spark: SparkSession) -> None:
    manager = SparkCacheManager(spark)
    df = spark.range(50_000).withColumn("sq", F.col("id") * F.col("id"))
    first = manager.cache_if_reused(df, "squares", min_reuses=2)
    assert first.storageLevel == StorageLevel.NONE
    second = manager.cache_if_reused(df, "squares", min_reuses=2)
    assert second.storageLevel != StorageLevel.NONE  # Spark's own view of the Dataset
    assert second.count() == 50_000
    manager.cache_if_reused(df, "squares", min_reuses=2)
    stats = manager.get_cache_stats()
    entry = stats["entries"]["squares"]
    assert (entry["requests"], entry["misses"], entry["hits"]) == (3, 2, 1)
    assert entry["is_cached"] and entry["memory_bytes"] > 0
    assert entry["cached_partitions"] == entry["partitions"] == df.rdd.getNumPartitions()
    assert stats["total_memory_bytes"] == entry["memory_bytes"]
    manager.unpersist("squares", blocking=True)
    assert df.storageLevel == StorageLevel.NONE
    assert manager.get_cache_stats()["entries"] == {}


def test_level_follows_size_and_free_memory(spark: SparkSession) -> None:
    small = spark.range(1_000).withColumn("tag", F.lit("a"))
    roomy = SparkCacheManager(spark, memory_only_fraction=0.5)
    assert roomy.persist_with_level(small, name="small").storageLevel == StorageLevel.MEMORY_ONLY
    assert "<=" in roomy.get_cache_stats()["entries"]["small"]["level_reason"]
    roomy.unpersist_all(blocking=True)
    # With almost no memory allowed for MEMORY_ONLY, the same data goes to MEMORY_AND_DISK.
    cramped = SparkCacheManager(spark, memory_only_fraction=1e-12)
    persisted = cramped.persist_with_level(small, name="small")
    assert persisted.storageLevel == StorageLevel.MEMORY_AND_DISK
    cramped.unpersist_all(blocking=True)
    explicit = SparkCacheManager(spark)
    assert explicit.persist_with_level(small, "DISK_ONLY", name="d").storageLevel == StorageLevel.DISK_ONLY
    explicit.unpersist_all(blocking=True)
    assert small.storageLevel == StorageLevel.NONE


def test_bad_input_is_named(spark: SparkSession) -> None:
    manager = SparkCacheManager(spark)
    manager.cache_if_reused(spark.range(5), "five")
    with pytest.raises(ValueError, match="name='five' is already registered for a different plan"):
        manager.cache_if_reused(spark.range(6), "five")
    with pytest.raises(ValueError, match="unknown storage level 'RAM'"):
        manager.persist_with_level(spark.range(5), "RAM")
    with pytest.raises(KeyError, match="no DataFrame is registered as name='other'"):
        manager.unpersist("other")
    with pytest.raises(ValueError, match="min_reuses must be >= 1"):
        manager.cache_if_reused(spark.range(5), "five", min_reuses=0)
