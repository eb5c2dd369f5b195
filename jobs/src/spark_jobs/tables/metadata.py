"""``metadata``: schema, row and file counts, file size distribution, partitions and format version."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_jobs import versioned
from spark_jobs.jvm import jvm_of
from spark_jobs.tables.formats import TableRef, read


def file_sizes(spark: SparkSession, uris: list[str]) -> list[int]:
    """Sizes in bytes of the files ``uris`` (through the session's Hadoop FileSystem)."""
    jvm = jvm_of(spark.sparkContext)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    out = []
    for uri in uris:
        path = jvm.org.apache.hadoop.fs.Path(uri)
        out.append(int(path.getFileSystem(conf).getFileStatus(path).getLen()))
    return out


def distribution(sizes: list[int]) -> dict[str, Any]:
    """Count, total, min, median, max and mean of file sizes."""
    if not sizes:
        return {"files": 0, "bytes": 0, "min": None, "median": None, "max": None, "mean": None}
    s = sorted(sizes)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    return {
        "files": len(s),
        "bytes": sum(s),
        "min": s[0],
        "median": median,
        "max": s[-1],
        "mean": sum(s) / len(s),
    }


def metadata(spark: SparkSession, ref: TableRef) -> dict[str, Any]:
    """What a table holds, from its format's metadata (rows counted by Spark)."""
    df = read(spark, ref)
    doc: dict[str, Any] = {
        "operation": "metadata",
        "format": ref.format,
        "target": ref.target,
        "schema": [
            {"name": f.name, "type": f.dataType.simpleString(), "nullable": f.nullable} for f in df.schema
        ],
        "rows": df.count(),
    }
    if ref.format == "delta":
        detail = spark.sql(f"DESCRIBE DETAIL {ref.sql_name}").first()
        assert detail is not None
        doc["partitions"] = list(detail["partitionColumns"] or [])
        doc["format_version"] = {
            "minReaderVersion": int(detail["minReaderVersion"]),
            "minWriterVersion": int(detail["minWriterVersion"]),
        }
        doc["file_sizes"] = distribution(file_sizes(spark, list(df.inputFiles())))
    elif ref.format == "iceberg":
        props = {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {ref.sql_name}").collect()}
        doc["partitions"] = _iceberg_partitions(spark, ref)
        doc["format_version"] = {"format-version": int(props.get("format-version", "1"))}
        sizes = [
            int(r[0]) for r in spark.sql(f"SELECT file_size_in_bytes FROM {ref.sql_name}.files").collect()
        ]
        doc["file_sizes"] = distribution(sizes)
    else:
        info = versioned.current_version(spark, ref.target)
        assert info is not None
        doc["partitions"] = []
        doc["format_version"] = {"layout": versioned.LAYOUT, "version": info.version}
        doc["file_sizes"] = distribution([int(f["size"]) for f in info.files])
    return doc


def _iceberg_partitions(spark: SparkSession, ref: TableRef) -> list[str]:
    rows = spark.sql(f"DESCRIBE TABLE {ref.sql_name}").collect()
    out, inside = [], False
    for r in rows:
        name = (r["col_name"] or "").strip()
        if name == "# Partitioning":
            inside = True
            continue
        if inside:
            if not name or name.startswith("#"):
                break
            out.append(str(r["data_type"]))
    return out


def plain_metadata(spark: SparkSession, df: DataFrame, uri: str, fmt: str) -> dict[str, Any]:
    """Metadata of a dataset that is no table (a plain Parquet or CSV directory)."""
    return {
        "operation": "metadata",
        "format": fmt,
        "target": uri,
        "schema": [
            {"name": f.name, "type": f.dataType.simpleString(), "nullable": f.nullable} for f in df.schema
        ],
        "rows": df.count(),
        "partitions": [],
        "format_version": None,
        "file_sizes": distribution(file_sizes(spark, list(df.inputFiles()))),
    }
