"""``compact`` (rewrite small files into files of about ``--target-file-mb``) and ``vacuum``.

``vacuum`` removes what no current reader needs: Delta's files unreferenced for longer than the
retention (``VACUUM``), Iceberg's snapshots older than it and the files only they used
(``expire_snapshots``), the Parquet table's versions beyond ``--keep-versions``. A retention below
the format's safe minimum would let it delete files a running reader or writer still uses, so it
is refused unless ``--unsafe-retention`` is given: Delta 168 hours (its own
``delta.deletedFileRetentionDuration`` default, which its retention check enforces), Iceberg 120
hours (its ``history.expire.max-snapshot-age-ms`` default).
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from typing import Any

from pyspark.sql import SparkSession

from spark_jobs import versioned
from spark_jobs.jvm import jvm_of
from spark_jobs.tables import writes
from spark_jobs.tables.errors import TableInputError
from spark_jobs.tables.formats import TableRef, read

SAFE_RETENTION_HOURS: dict[str, int] = {"delta": 168, "iceberg": 120}
DEFAULT_TARGET_FILE_MB = 128


def compact(
    spark: SparkSession, ref: TableRef, target_file_mb: int = DEFAULT_TARGET_FILE_MB, keep_versions: int = 2
) -> dict[str, Any]:
    """Rewrite the table's data into files of about ``target_file_mb``; one commit of the format."""
    if target_file_mb < 1:
        raise TableInputError(f"--target-file-mb must be an integer >= 1, got {target_file_mb}")
    started = time.monotonic()
    target_bytes = target_file_mb * 1024 * 1024
    before = writes.current(spark, ref)
    if ref.format == "delta":
        key = "spark.databricks.delta.optimize.maxFileSize"
        previous = spark.conf.get(key, None)
        spark.conf.set(key, str(target_bytes))
        try:
            row = writes.guard_conflicts(ref, lambda: spark.sql(f"OPTIMIZE {ref.sql_name}").first())
        finally:
            if previous is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, previous)
        assert row is not None
        m = row["metrics"]
        counts = {
            "files_removed": int(m["numFilesRemoved"]),
            "files_added": int(m["numFilesAdded"]),
            "bytes_rewritten": int(m["filesRemoved"]["totalSize"] or 0),
        }
    elif ref.format == "iceberg":
        ident = ref.identifier.replace("`", "") if ref.identifier else ""
        row = writes.guard_conflicts(
            ref,
            lambda: spark.sql(
                f"CALL {ref.catalog}.system.rewrite_data_files(table => '{ident}', "
                f"options => map('target-file-size-bytes', '{target_bytes}', 'min-input-files', '2'))"
            ).first(),
        )
        assert row is not None
        counts = {
            "files_removed": int(row["rewritten_data_files_count"]),
            "files_added": int(row["added_data_files_count"]),
            "bytes_rewritten": int(row["rewritten_bytes_count"]),
        }
    else:
        info = versioned.current_version(spark, ref.target)
        assert info is not None
        total = sum(int(f["size"]) for f in info.files)
        files = max(1, math.ceil(total / target_bytes))
        writes.commit_parquet(spark, ref, read(spark, ref).repartition(files), keep_versions)
        counts = {"files_removed": len(info.files), "files_added": files, "bytes_rewritten": total}
    after = writes.current(spark, ref)
    return writes.summary("compact", ref, before, after, started, **counts)


def check_retention(fmt: str, hours: float | None, unsafe: bool) -> float:
    """The retention to use: the safe minimum by default; below it only with ``unsafe``."""
    safe = SAFE_RETENTION_HOURS[fmt]
    chosen = float(safe if hours is None else hours)
    if chosen < 0:
        raise TableInputError(f"--retention-hours must be >= 0, got {hours}")
    if chosen < safe and not unsafe:
        raise TableInputError(
            f"--retention-hours {hours:g} is below the safe minimum of {safe} hours for {fmt} tables: "
            "files a running reader or writer still uses could be deleted. Pass --unsafe-retention "
            "if no job reads or writes this table meanwhile."
        )
    return chosen


def vacuum(
    spark: SparkSession,
    ref: TableRef,
    retention_hours: float | None = None,
    unsafe: bool = False,
    keep_versions: int = versioned.DEFAULT_KEEP_VERSIONS,
) -> dict[str, Any]:
    """Delete files only older versions used (see the module docstring); returns the summary."""
    started = time.monotonic()
    before = writes.current(spark, ref)
    if ref.format == "parquet":
        if retention_hours is not None:
            raise TableInputError(
                "--retention-hours applies to delta and iceberg; Parquet tables keep --keep-versions"
            )
        info = versioned.current_version(spark, ref.target)
        assert info is not None
        deleted = versioned.cleanup(spark, ref.target, info, keep_versions)
        return writes.summary(
            "vacuum", ref, before, before, started, versions_deleted=len(deleted), keep_versions=keep_versions
        )
    hours = check_retention(ref.format, retention_hours, unsafe)
    if ref.format == "delta":
        key = "spark.databricks.delta.retentionDurationCheck.enabled"
        previous = spark.conf.get(key, None)
        if unsafe:
            spark.conf.set(key, "false")
        present = data_files(spark, ref.target)
        try:
            spark.sql(f"VACUUM {ref.sql_name} RETAIN {hours:g} HOURS").collect()
        finally:
            if previous is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, previous)
        # VACUUM answers only the table path: count what it removed from storage instead.
        counts: dict[str, Any] = {"files_deleted": len(present - data_files(spark, ref.target))}
    else:
        ident = ref.identifier.replace("`", "") if ref.identifier else ""
        # A literal (Spark 3.5's CALL accepts only literals), in UTC whatever the session's time zone.
        cutoff = datetime.fromtimestamp(time.time() - hours * 3600, timezone.utc)
        cutoff_sql = cutoff.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00:00"
        row = spark.sql(
            f"CALL {ref.catalog}.system.expire_snapshots(table => '{ident}', "
            f"older_than => TIMESTAMP '{cutoff_sql}', retain_last => 1)"
        ).first()
        assert row is not None
        counts = {"files_deleted": int(row["deleted_data_files_count"])}
    after = writes.current(spark, ref)
    return writes.summary("vacuum", ref, before, after, started, retention_hours=hours, **counts)


def data_files(spark: SparkSession, uri: str) -> set[str]:
    """The data files below a table directory (not its log, metadata, or hidden files)."""
    jvm = jvm_of(spark.sparkContext)
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out: set[str] = set()
    if not fs.exists(path):
        return out
    it = fs.listFiles(path, True)
    while it.hasNext():
        name = str(it.next().getPath().toString())
        rel = name.split(uri.rstrip("/").split("://")[-1], 1)[-1]
        if rel.endswith(".parquet") and not any(p.startswith(("_", ".")) for p in rel.split("/") if p):
            out.add(name)
    return out
