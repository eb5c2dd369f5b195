"""What every write shares: the JSON summary, the Parquet commit, and Delta's conflict errors."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pyspark.sql import DataFrame, SparkSession

from spark_jobs import versioned
from spark_jobs.tables import formats
from spark_jobs.tables.errors import TableConflictError
from spark_jobs.tables.formats import TableRef

T = TypeVar("T")
CONFLICT_CLASSES: tuple[str, ...] = (
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
    "ConcurrentWriteException",
    "MetadataChangedException",
    "ProtocolChangedException",
    "CommitFailedException",
)
"""Delta's and Iceberg's "another writer committed first" errors (their simple class names)."""


def summary(
    operation: str, ref: TableRef, before: Any, after: Any, started: float, **counts: Any
) -> dict[str, Any]:
    """The JSON summary every operation prints (and writes to ``--metrics-output``)."""
    return {
        "operation": operation,
        "format": ref.format,
        "target": ref.target,
        "version_before": before,
        "version_after": after,
        **counts,
        "seconds": round(time.monotonic() - started, 3),
    }


def commit_parquet(spark: SparkSession, ref: TableRef, df: DataFrame, keep_versions: int) -> str:
    """Write ``df`` as a new version of the Parquet table and publish it (one pointer write)."""
    info = versioned.commit_version(
        spark, ref.target, lambda target: df.write.parquet(target), keep_versions=keep_versions
    )
    return info.version


def guard_conflicts(ref: TableRef, action: Callable[[], T]) -> T:
    """Run a format's commit; its "concurrent commit" error becomes a :class:`TableConflictError`."""
    try:
        return action()
    except Exception as exc:
        name = _conflict_name(exc)
        if name is None:
            raise
        raise TableConflictError(
            f"{ref.target}: another writer committed to this {ref.format} table while this run was "
            f"writing ({name}); this run committed nothing, the table holds the other run's commit. "
            "Run it again: it will apply to the new version."
        ) from None


def _conflict_name(exc: BaseException) -> str | None:
    text = f"{type(exc).__name__}: {exc}"
    java = getattr(exc, "java_exception", None)
    if java is not None:
        with contextlib.suppress(Exception):  # the JVM object may be gone; the message names it too
            text += " " + str(java.getClass().getName())
    for name in CONFLICT_CLASSES:
        if name in text:
            return name
    return None


def current(spark: SparkSession, ref: TableRef) -> Any:
    """The table's current version (None when it does not exist yet)."""
    return formats.current_version(spark, ref) if ref.exists else None
