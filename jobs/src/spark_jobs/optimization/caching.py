"""Cache DataFrames only when they are reused, at a storage level that fits the memory there is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.optimization.plan_stats import estimated_size_bytes, free_storage_memory_bytes

_LEVELS: dict[str, StorageLevel] = {
    name: getattr(StorageLevel, name)
    for name in (
        "MEMORY_ONLY",
        "MEMORY_AND_DISK",
        "DISK_ONLY",
        "MEMORY_ONLY_2",
        "MEMORY_AND_DISK_2",
        "OFF_HEAP",
    )
}


@dataclass
class _Entry:
    df: DataFrame
    semantic_hash: int
    requests: int = 0
    hits: int = 0
    misses: int = 0
    level: Optional[StorageLevel] = None
    reason: str = ""


class SparkCacheManager:
    """Tracks named DataFrames, persists them once reused, and reports what Spark holds for them.

    Args:
        spark: the active session.
        memory_only_fraction: ``persist_with_level`` picks MEMORY_ONLY when the plan's size
            estimate is at most this share of the free storage memory, else MEMORY_AND_DISK.
    """

    def __init__(self, spark: SparkSession, memory_only_fraction: float = 0.5) -> None:
        """Create an empty manager for ``spark``."""
        if not 0 < memory_only_fraction <= 1:
            raise ValueError(f"memory_only_fraction must be in (0, 1], got {memory_only_fraction!r}")
        self.spark = spark
        self.memory_only_fraction = memory_only_fraction
        self._entries: dict[str, _Entry] = {}

    def cache_if_reused(self, df: DataFrame, name: str, min_reuses: int = 2) -> DataFrame:
        """Register one use of ``df`` under ``name``; persist it from the ``min_reuses``-th use on.

        A request is a hit when the manager had already persisted the DataFrame, else a miss.
        The same name must always refer to the same plan (compared by Spark's semantic hash).
        """
        if min_reuses < 1:
            raise ValueError(f"cache_if_reused: min_reuses must be >= 1, got {min_reuses!r}")
        entry = self._entry_for(df, name)
        entry.requests += 1
        if entry.level is not None:
            entry.hits += 1
            return entry.df
        entry.misses += 1
        if entry.requests >= min_reuses:
            self._persist(entry, None)
        return entry.df

    def persist_with_level(
        self, df: DataFrame, level: Union[StorageLevel, str, None] = None, name: Optional[str] = None
    ) -> DataFrame:
        """Persist ``df`` now; without ``level``, pick MEMORY_ONLY or MEMORY_AND_DISK from sizes.

        The choice compares the optimizer's size estimate with the free storage memory of the
        block managers, and is kept (with its reason) in ``get_cache_stats()``.
        """
        entry = self._entry_for(df, name or f"df-{df.semanticHash()}")
        self._persist(entry, self._level(level))
        return entry.df

    def unpersist(self, name: str, blocking: bool = False) -> None:
        """Unpersist and forget the DataFrame registered as ``name``."""
        if name not in self._entries:
            raise KeyError(
                f"unpersist: no DataFrame is registered as name={name!r}; known: {sorted(self._entries)}"
            )
        entry = self._entries.pop(name)
        if entry.level is not None:
            entry.df.unpersist(blocking)

    def unpersist_all(self, blocking: bool = False) -> None:
        """Unpersist every DataFrame this manager persisted (other caches are left alone)."""
        for name in list(self._entries):
            self.unpersist(name, blocking)

    def get_cache_stats(self) -> dict[str, Any]:
        """Per name: storage level, Spark's memory/disk size of the cached data, hits and misses."""
        storage = self._rdd_storage()
        entries = {}
        for name, entry in self._entries.items():
            rdd_id = self._cached_rdd_id(entry.df) if entry.level is not None else None
            info = storage.get(rdd_id, {}) if rdd_id is not None else {}
            entries[name] = {
                "is_cached": entry.level is not None,
                "storage_level": str(entry.level) if entry.level is not None else None,
                "level_reason": entry.reason,
                "requests": entry.requests,
                "hits": entry.hits,
                "misses": entry.misses,
                "rdd_id": rdd_id,
                "memory_bytes": info.get("memory_bytes", 0),
                "disk_bytes": info.get("disk_bytes", 0),
                "cached_partitions": info.get("cached_partitions", 0),
                "partitions": info.get("partitions"),
            }
        return {
            "entries": entries,
            "total_memory_bytes": sum(e["memory_bytes"] for e in entries.values()),
            "total_disk_bytes": sum(e["disk_bytes"] for e in entries.values()),
            "hits": sum(e["hits"] for e in entries.values()),
            "misses": sum(e["misses"] for e in entries.values()),
        }

    def _entry_for(self, df: DataFrame, name: str) -> _Entry:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        semantic_hash = df.semanticHash()
        entry = self._entries.get(name)
        if entry is None:
            entry = self._entries[name] = _Entry(df=df, semantic_hash=semantic_hash)
        elif entry.semantic_hash != semantic_hash:
            raise ValueError(
                f"name={name!r} is already registered for a different plan; "
                "use a new name or unpersist(name) first"
            )
        return entry

    def _level(self, level: Union[StorageLevel, str, None]) -> Optional[StorageLevel]:
        if level is None or isinstance(level, StorageLevel):
            return level
        if level.upper() not in _LEVELS:
            raise ValueError(f"level: unknown storage level {level!r}; allowed: {', '.join(_LEVELS)}")
        return _LEVELS[level.upper()]

    def _persist(self, entry: _Entry, level: Optional[StorageLevel]) -> None:
        if entry.level is not None:
            return
        if level is None:
            size = estimated_size_bytes(entry.df)
            free = free_storage_memory_bytes(self.spark)
            fits = size <= self.memory_only_fraction * free
            level = StorageLevel.MEMORY_ONLY if fits else StorageLevel.MEMORY_AND_DISK
            entry.reason = (
                f"estimated {size} bytes {'<=' if fits else '>'} {self.memory_only_fraction:g} x "
                f"{free} bytes free storage memory"
            )
        else:
            entry.reason = "level given by the caller"
        entry.df.persist(level)
        entry.level = level

    def _cached_rdd_id(self, df: DataFrame) -> Optional[int]:
        cache_manager = self.spark._jsparkSession.sharedState().cacheManager()
        cached = cache_manager.lookupCachedData(df._jdf)
        if not cached.isDefined():
            return None
        return int(cached.get().cachedRepresentation().cacheBuilder().cachedColumnBuffers().id())

    def _rdd_storage(self) -> dict[int, dict[str, int]]:
        storage = {}
        for info in self.spark.sparkContext._jsc.sc().getRDDStorageInfo():
            storage[int(info.id())] = {
                "memory_bytes": int(info.memSize()),
                "disk_bytes": int(info.diskSize()),
                "cached_partitions": int(info.numCachedPartitions()),
                "partitions": int(info.numPartitions()),
            }
        return storage
