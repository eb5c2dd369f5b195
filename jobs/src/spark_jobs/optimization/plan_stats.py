"""Small helpers that read what Spark itself knows about a DataFrame's plan and memory."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession


def estimated_size_bytes(df: DataFrame) -> int:
    """The optimizer's size estimate (``optimizedPlan.stats.sizeInBytes``) for ``df``.

    It is exact for in-memory and range sources, file size for file sources (uncompressed size
    is larger), and can be very large (Long.MaxValue-like) when Spark cannot estimate at all.
    """
    return int(df._jdf.queryExecution().optimizedPlan().stats().sizeInBytes())


def free_storage_memory_bytes(spark: SparkSession) -> int:
    """Storage memory still free across the block managers (executors, or the driver in local mode).

    From Spark's block manager status: max storage memory minus what cached blocks use now. The
    driver's block manager only caches data in local mode, so it is left out when executors exist.
    """
    jsc = spark.sparkContext._jsc.sc()
    driver = jsc.env().blockManager().blockManagerId().hostPort()
    remaining: dict[str, int] = {}
    iterator = jsc.getExecutorMemoryStatus().iterator()
    while iterator.hasNext():
        entry = iterator.next()  # (hostPort, (max memory for caching, remaining memory for caching))
        remaining[str(entry._1())] = int(entry._2()._2())
    if len(remaining) > 1:
        remaining.pop(driver, None)
    return sum(remaining.values())
