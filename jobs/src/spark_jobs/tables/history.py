"""The commits of a table (``history``) and reading it as it was (``read --version/--timestamp``).

Versions are the format's own: Delta's log version (0, 1, ...), Iceberg's snapshot id, the
Parquet table's version id (:mod:`spark_jobs.versioned`). A timestamp selects the last commit made
at or before it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_jobs import versioned
from spark_jobs.tables.errors import TableInputError
from spark_jobs.tables.formats import TableRef


def history(spark: SparkSession, ref: TableRef, limit: int = 50) -> list[dict[str, Any]]:
    """The table's commits, newest first: version, timestamp, operation and the format's metrics."""
    if ref.format == "delta":
        rows = spark.sql(f"DESCRIBE HISTORY {ref.sql_name} LIMIT {int(limit)}").collect()
        return [
            {
                "version": int(r["version"]),
                "timestamp": _utc(r["timestamp"]),
                "operation": r["operation"],
                "metrics": dict(r["operationMetrics"] or {}),
            }
            for r in rows
        ]
    if ref.format == "iceberg":
        rows = spark.sql(
            f"SELECT h.snapshot_id, h.made_current_at, s.operation, s.summary FROM {ref.sql_name}.history h "
            f"LEFT JOIN {ref.sql_name}.snapshots s ON h.snapshot_id = s.snapshot_id "
            f"ORDER BY h.made_current_at DESC LIMIT {int(limit)}"
        ).collect()
        return [
            {
                "version": int(r["snapshot_id"]),
                "timestamp": _utc(r["made_current_at"]),
                "operation": r["operation"],
                "metrics": dict(r["summary"] or {}),
            }
            for r in rows
        ]
    out = []
    for version in versioned.list_versions(spark, ref.target)[:limit]:
        info = versioned.version_info(spark, ref.target, version)
        out.append(
            {
                "version": version,
                "timestamp": info.created,
                "operation": "commit",
                "metrics": {"rows": info.rows, "files": len(info.files)},
            }
        )
    return out


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 timestamp (UTC when it names no zone)."""
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TableInputError(
            f"--timestamp must be an ISO-8601 time like 2024-03-01T12:00:00Z, got {text!r}"
        ) from None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=timezone.utc)


def read_as_of(spark: SparkSession, ref: TableRef, version: str | None, timestamp: str | None) -> DataFrame:
    """The table as it was at ``version`` or ``timestamp`` (exactly one of them)."""
    if (version is None) == (timestamp is None):
        raise TableInputError("read needs exactly one of --version N or --timestamp TS")
    commits = history(spark, ref, limit=10_000)
    if version is not None:
        known = [str(c["version"]) for c in commits]
        if str(version) not in known:
            raise TableInputError(f"{ref.target}: no version {version!r}; versions kept: {known[:20]}")
        chosen: Any = version
    else:
        ts = parse_timestamp(timestamp or "")
        earlier = [c for c in commits if _aware(c["timestamp"]) <= ts]
        if not earlier:
            oldest = commits[-1]["timestamp"] if commits else None
            raise TableInputError(f"{ref.target}: no commit at or before {timestamp} (oldest kept: {oldest})")
        chosen = earlier[0]["version"]
    if ref.format == "delta":
        return spark.read.format("delta").option("versionAsOf", int(chosen)).load(ref.target)
    if ref.format == "iceberg":
        # SQL time travel reads with the snapshot's own schema (the reader option uses the current one).
        return spark.sql(f"SELECT * FROM {ref.sql_name} VERSION AS OF {int(chosen)}")
    return versioned.read_version(spark, ref.target, str(chosen))


def _aware(text: str) -> datetime:
    ts = datetime.fromisoformat(text)
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=timezone.utc)


def _utc(value: datetime) -> str:
    """pyspark hands timestamps over as naive datetimes in the Python process's local time."""
    return value.astimezone(timezone.utc).isoformat()
