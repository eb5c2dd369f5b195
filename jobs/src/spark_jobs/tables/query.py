"""``query``: a SELECT over the view ``input`` (any table or dataset) into a versioned Parquet output."""

from __future__ import annotations

import time
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_jobs import versioned
from spark_jobs.tables.expressions import query as checked_query

INPUT_VIEW = "input"


def query(
    spark: SparkSession, source: DataFrame, sql: str, output: str, keep_versions: int = 2
) -> dict[str, Any]:
    """Run ``sql`` over ``source`` (as the view ``input``) into a new version of ``output``."""
    started = time.monotonic()
    source.createOrReplaceTempView(INPUT_VIEW)
    result = checked_query(spark, sql)
    info = versioned.commit_version(
        spark, output, lambda target: result.write.parquet(target), keep_versions=keep_versions
    )
    return {
        "operation": "query",
        "output": output,
        "version_after": info.version,
        "rows": info.rows,
        "columns": result.columns,
        "seconds": round(time.monotonic() - started, 3),
    }
