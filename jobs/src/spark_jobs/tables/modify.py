"""UPDATE ... SET ... WHERE and DELETE ... WHERE, each one commit of the table's format.

The condition and every assignment are checked by Spark against the table's schema first. A row
whose condition is NULL is neither updated nor deleted (SQL semantics, on Parquet too).
Delta reports its own row counts; Iceberg and Parquet count the matching rows before the write.
"""

from __future__ import annotations

import time
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.tables import writes
from spark_jobs.tables.expressions import assignments, condition
from spark_jobs.tables.formats import TableRef, read


def update(
    spark: SparkSession, ref: TableRef, sets: list[str], where: str, keep_versions: int = 2
) -> dict[str, Any]:
    """Set columns of the rows matching ``where``; returns the summary (``rows_updated``)."""
    started = time.monotonic()
    target = read(spark, ref)
    matches = F.coalesce(condition(target, where), F.lit(False))
    assigned = assignments(target, sets)
    before = writes.current(spark, ref)
    if ref.format == "delta":
        set_sql = ", ".join(f"`{name}` = {value}" for name, value in assigned.items())
        writes.guard_conflicts(
            ref, lambda: spark.sql(f"UPDATE {ref.sql_name} SET {set_sql} WHERE {where}").collect()
        )
        return _delta_summary(spark, ref, "update", before, started, "numUpdatedRows", "rows_updated")
    count = target.where(matches).count()
    if ref.format == "iceberg":
        set_sql = ", ".join(f"`{name}` = {value}" for name, value in assigned.items())
        writes.guard_conflicts(
            ref, lambda: spark.sql(f"UPDATE {ref.sql_name} SET {set_sql} WHERE {where}").collect()
        )
        after = writes.current(spark, ref)
    else:
        changed = target.select(
            *[
                F.when(matches, F.expr(assigned[c]).cast(target.schema[c].dataType))
                .otherwise(F.col(c))
                .alias(c)
                if c in assigned
                else F.col(c)
                for c in target.columns
            ]
        )
        after = writes.commit_parquet(spark, ref, changed, keep_versions)
    return writes.summary(
        "update", ref, before, after, started, rows_inserted=0, rows_updated=count, rows_deleted=0
    )


def delete(spark: SparkSession, ref: TableRef, where: str, keep_versions: int = 2) -> dict[str, Any]:
    """Delete the rows matching ``where``; returns the summary (``rows_deleted``)."""
    started = time.monotonic()
    target = read(spark, ref)
    matches = F.coalesce(condition(target, where), F.lit(False))
    before = writes.current(spark, ref)
    if ref.format == "delta":
        writes.guard_conflicts(ref, lambda: spark.sql(f"DELETE FROM {ref.sql_name} WHERE {where}").collect())
        return _delta_summary(spark, ref, "delete", before, started, "numDeletedRows", "rows_deleted")
    count = target.where(matches).count()
    if ref.format == "iceberg":
        writes.guard_conflicts(ref, lambda: spark.sql(f"DELETE FROM {ref.sql_name} WHERE {where}").collect())
        after = writes.current(spark, ref)
    else:
        after = writes.commit_parquet(spark, ref, target.where(~matches), keep_versions)
    return writes.summary(
        "delete", ref, before, after, started, rows_inserted=0, rows_updated=0, rows_deleted=count
    )


def _delta_summary(
    spark: SparkSession, ref: TableRef, operation: str, before: Any, started: float, metric: str, field: str
) -> dict[str, Any]:
    last = spark.sql(f"DESCRIBE HISTORY {ref.sql_name} LIMIT 1").first()
    assert last is not None
    metrics = last["operationMetrics"] or {}
    counts = {"rows_inserted": 0, "rows_updated": 0, "rows_deleted": 0}
    after = int(last["version"])
    if after != before:  # Delta commits nothing when no row matched: the last entry is another operation's
        counts[field] = int(metrics.get(metric, 0))
    return writes.summary(operation, ref, before, after, started, **counts)
