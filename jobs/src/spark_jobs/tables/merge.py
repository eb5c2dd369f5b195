"""Upsert: per key the source row wins (or the latest by ``--order-by``); a missing target is created.

Delta and Iceberg run one ``MERGE INTO`` (one commit of the format). Parquet is a merge-with-dedup:
the target rows whose key the source does not win, plus the winning source rows, written as a new
version (:mod:`spark_jobs.versioned`). Checked before any write: keys and order column exist on both
sides, the source has the target's columns, no key is null, and keys are unique in the source unless
``--order-by`` picks the latest of them.
"""

from __future__ import annotations

import time
from functools import reduce
from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from spark_jobs.tables import writes
from spark_jobs.tables.errors import TableInputError
from spark_jobs.tables.expressions import columns_present
from spark_jobs.tables.formats import TableRef, read

SOURCE_VIEW = "_spark_deploy_merge_source"


def prepare_source(source: DataFrame, keys: list[str], order_by: str | None) -> DataFrame:
    """The source with one row per key (the latest by ``order_by``); bad input fails here."""
    if not keys:
        raise TableInputError("--key must name at least one column")
    columns_present(source, keys + ([order_by] if order_by else []), "the source", "--key/--order-by")
    null_keys = source.where(reduce(lambda a, b: a | b, [F.col(k).isNull() for k in keys]))
    if null_keys.limit(1).count() > 0:
        raise TableInputError(f"the source has rows with a null key {keys}; a null key matches no row")
    if order_by is None:
        dup = source.groupBy(*keys).count().where("count > 1")
        if dup.limit(1).count() > 0:
            example = dup.first()
            raise TableInputError(
                f"the source has several rows for one key {keys} "
                f"(e.g. {example.asDict() if example else ''}); "
                "give --order-by COL to keep the latest of them"
            )
        return source
    rank = Window.partitionBy(*keys).orderBy(F.col(order_by).desc_nulls_last())
    return source.withColumn("_rn", F.row_number().over(rank)).where("_rn = 1").drop("_rn")


def check_columns(target: DataFrame, source: DataFrame) -> None:
    """The source carries exactly the target's columns (no schema change by a merge)."""
    missing = [c for c in target.columns if c not in source.columns]
    extra = [c for c in source.columns if c not in target.columns]
    if missing or extra:
        raise TableInputError(
            f"the source's columns must be the target's: missing {missing}, not in the target {extra} "
            f"(target columns: {target.columns})"
        )


def merge(
    spark: SparkSession,
    ref: TableRef,
    source: DataFrame,
    keys: list[str],
    order_by: str | None = None,
    keep_versions: int = 2,
) -> dict[str, Any]:
    """Upsert ``source`` into the table ``ref``; returns the summary."""
    started = time.monotonic()
    prepared = prepare_source(source, keys, order_by)
    if not ref.exists:
        return _create(spark, ref, prepared, keep_versions, started)
    target = read(spark, ref)
    columns_present(target, keys + ([order_by] if order_by else []), "the target", "--key/--order-by")
    check_columns(target, prepared)
    prepared = prepared.select(*target.columns)
    before = writes.current(spark, ref)
    if ref.format == "delta":
        return _merge_delta(spark, ref, prepared, keys, order_by, before, started)
    inserted, updated = _counts(target, prepared, keys, order_by)
    if ref.format == "iceberg":
        writes.guard_conflicts(ref, lambda: spark.sql(_merge_sql(ref, prepared, keys, order_by)).collect())
        after = writes.current(spark, ref)
    else:
        after = writes.commit_parquet(
            spark, ref, _merged_parquet(target, prepared, keys, order_by), keep_versions
        )
    return writes.summary(
        "merge", ref, before, after, started, rows_inserted=inserted, rows_updated=updated, rows_deleted=0
    )


def _create(
    spark: SparkSession, ref: TableRef, source: DataFrame, keep_versions: int, started: float
) -> dict[str, Any]:
    rows = source.count()
    if ref.format == "delta":
        source.write.format("delta").mode("errorifexists").save(ref.target)
    elif ref.format == "iceberg":
        source.writeTo(ref.sql_name).using("iceberg").create()
    else:
        writes.commit_parquet(spark, ref, source, keep_versions)
    created = TableRef(ref.target, ref.format, True, ref.sql_name, ref.catalog, ref.identifier)
    after = writes.current(spark, created)
    return writes.summary(
        "merge", ref, None, after, started, rows_inserted=rows, rows_updated=0, rows_deleted=0, created=True
    )


def _on(keys: list[str]) -> str:
    return " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)


def _merge_sql(ref: TableRef, source: DataFrame, keys: list[str], order_by: str | None) -> str:
    source.createOrReplaceTempView(SOURCE_VIEW)
    newer = f" AND (t.`{order_by}` IS NULL OR s.`{order_by}` >= t.`{order_by}`)" if order_by else ""
    return (
        f"MERGE INTO {ref.sql_name} AS t USING {SOURCE_VIEW} AS s ON {_on(keys)} "
        f"WHEN MATCHED{newer} THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
    )


def _merge_delta(
    spark: SparkSession,
    ref: TableRef,
    source: DataFrame,
    keys: list[str],
    order_by: str | None,
    before: Any,
    started: float,
) -> dict[str, Any]:
    writes.guard_conflicts(ref, lambda: spark.sql(_merge_sql(ref, source, keys, order_by)).collect())
    last = spark.sql(f"DESCRIBE HISTORY {ref.sql_name} LIMIT 1").first()
    assert last is not None
    metrics = last["operationMetrics"] or {}
    return writes.summary(
        "merge",
        ref,
        before,
        int(last["version"]),
        started,
        rows_inserted=int(metrics.get("numTargetRowsInserted", 0)),
        rows_updated=int(metrics.get("numTargetRowsUpdated", 0)),
        rows_deleted=int(metrics.get("numTargetRowsDeleted", 0)),
    )


def _counts(target: DataFrame, source: DataFrame, keys: list[str], order_by: str | None) -> tuple[int, int]:
    """(rows the merge inserts, rows it updates), from one join of the keys."""
    t = target.select(*keys, *([F.col(order_by).alias("_t_order")] if order_by else []))
    joined = source.alias("s").join(t.withColumn("_in_target", F.lit(True)), keys, "left")
    if order_by:
        wins = F.col("_t_order").isNull() | (F.col(order_by) >= F.col("_t_order"))
        updated = F.sum(F.when(F.col("_in_target") & wins, 1).otherwise(0))
    else:
        updated = F.sum(F.when(F.col("_in_target"), 1).otherwise(0))
    row = joined.agg(
        F.sum(F.when(F.col("_in_target").isNull(), 1).otherwise(0)).alias("inserted"),
        updated.alias("updated"),
    ).first()
    assert row is not None
    return int(row["inserted"] or 0), int(row["updated"] or 0)


def _merged_parquet(target: DataFrame, source: DataFrame, keys: list[str], order_by: str | None) -> DataFrame:
    """Target rows the source does not win, plus the winning source rows (dedup per key)."""
    if order_by is None:
        return target.join(source.select(*keys), keys, "left_anti").unionByName(source)
    both = target.withColumn("_from_source", F.lit(0)).unionByName(
        source.withColumn("_from_source", F.lit(1))
    )
    rank = Window.partitionBy(*keys).orderBy(F.col(order_by).desc_nulls_last(), F.col("_from_source").desc())
    return both.withColumn("_rn", F.row_number().over(rank)).where("_rn = 1").drop("_rn", "_from_source")
