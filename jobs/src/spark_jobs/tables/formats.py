"""What a table target is (Delta, Iceberg, versioned Parquet) and how Spark SQL addresses it.

Delta tables are addressed by path (``delta.`<uri>```). Iceberg tables on a path use a Hadoop
("path") catalog: ``<warehouse>/<namespace>/<table>`` is the table ``<namespace>.<table>`` of a
catalog whose warehouse is ``<warehouse>``; the catalog is registered in the session the first time
a table of that warehouse is used. A target that is not a URI but ``catalog.namespace.table`` (e.g.
``glue.sales.orders`` with the Glue catalog the deployment configured) is used as that table.
Parquet tables are versioned outputs (:mod:`spark_jobs.versioned`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession

from spark_jobs import io, versioned
from spark_jobs.tables.errors import TableInputError

FORMATS: tuple[str, ...] = ("delta", "iceberg", "parquet")
ICEBERG_CATALOG_CLASS = "org.apache.iceberg.spark.SparkCatalog"
PATH_CATALOG_PREFIX = "spark_deploy_path_"


@dataclass(frozen=True)
class TableRef:
    """One table target: its location (or catalog name), format, and the SQL name Spark knows it by."""

    target: str
    format: str
    exists: bool
    sql_name: str
    """``delta.`uri```, ``catalog.`ns`.`table```, or "" for Parquet (read through its pointer)."""
    catalog: str | None = None
    """Iceberg: the catalog holding the table (for its system procedures)."""
    identifier: str | None = None
    """Iceberg: ``ns.table`` inside :attr:`catalog`."""


def is_uri(target: str) -> bool:
    """Whether ``target`` is a path or URI (not a ``catalog.namespace.table`` name)."""
    return "/" in target or ":" in target


def detect(spark: SparkSession, target: str) -> str | None:
    """The format the files at ``target`` say (None when nothing is there or it is no table we know)."""
    if not is_uri(target):
        return "iceberg" if _catalog_table_exists(spark, target) else None
    root = target.rstrip("/")
    if io.exists(spark, root + "/_delta_log"):
        return "delta"
    if io.exists(spark, root + "/metadata/version-hint.text"):
        return "iceberg"
    if io.exists(spark, root + "/" + versioned.POINTER_FILE):
        return "parquet"
    if io.exists(spark, root):
        return "plain"
    return None


def resolve(spark: SparkSession, target: str, requested: str | None, *, must_exist: bool = True) -> TableRef:
    """The table at ``target``: its format is what the files say; ``requested`` must agree with it.

    A missing target needs ``requested`` (the format to create) unless ``must_exist``; a directory
    of plain Parquet files (no versioned pointer) is no table a job may change.
    """
    if requested is not None and requested not in FORMATS:
        raise TableInputError(f"--format must be one of {list(FORMATS)}, got {requested!r}")
    found = detect(spark, target)
    if found == "plain":
        raise TableInputError(
            f"{target} holds files but no Delta log, Iceberg metadata or versioned pointer "
            f"({versioned.POINTER_FILE}); it is no table (write it once with `table merge` into a new target)"
        )
    if found is not None and requested is not None and found != requested:
        raise TableInputError(f"{target} is a {found} table, but --format {requested} was given")
    if found is None:
        if must_exist:
            raise TableInputError(f"no table at {target} (expected one of {list(FORMATS)})")
        if requested is None:
            raise TableInputError(f"no table at {target} yet: give --format {'|'.join(FORMATS)} to create it")
    fmt = found or requested
    assert fmt is not None
    if fmt == "delta":
        check_available(spark, "delta")
        return TableRef(target, fmt, found is not None, f"delta.`{target.rstrip('/')}`")
    if fmt == "iceberg":
        check_available(spark, "iceberg")
        catalog, identifier = iceberg_name(spark, target)
        return TableRef(target, fmt, found is not None, f"{catalog}.{identifier}", catalog, identifier)
    return TableRef(target, fmt, found is not None, "")


def check_available(spark: SparkSession, fmt: str) -> None:
    """Fail clearly when the session lacks the format's jars or SQL extension."""
    jvm = spark.sparkContext._jvm
    from py4j.java_gateway import JavaClass

    names = {
        "delta": ("io.delta.tables.DeltaTable", "io.delta.sql.DeltaSparkSessionExtension"),
        "iceberg": (
            "org.apache.iceberg.spark.SparkCatalog",
            "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        ),
    }[fmt]
    cls = jvm
    for part in names[0].split("."):
        cls = getattr(cls, part)
    extensions = spark.conf.get("spark.sql.extensions", "") or ""
    if not isinstance(cls, JavaClass) or names[1] not in extensions:
        raise TableInputError(
            f"the Spark session cannot use {fmt} tables: it needs the {fmt} jars and "
            f"spark.sql.extensions={names[1]} (spark-deploy renders both for --table-format {fmt}; "
            f"locally: bash scripts/fetch-table-jars.sh); spark.sql.extensions is {extensions!r}"
        )


def iceberg_name(spark: SparkSession, target: str) -> tuple[str, str]:
    """``(catalog, "`ns`.`table`")`` of an Iceberg target, registering its path catalog when needed."""
    if not is_uri(target):
        parts = target.split(".")
        if len(parts) != 3 or not all(parts):
            raise TableInputError(
                f"an Iceberg catalog table must be named catalog.namespace.table, got {target!r}"
            )
        return parts[0], f"`{parts[1]}`.`{parts[2]}`"
    root = target.rstrip("/")
    parent, _, table = root.rpartition("/")
    warehouse, _, namespace = parent.rpartition("/")
    if not table or not namespace or not warehouse or warehouse.endswith(":"):
        raise TableInputError(
            f"an Iceberg path table must be <warehouse>/<namespace>/<table>, got {target!r}"
        )
    catalog = PATH_CATALOG_PREFIX + hashlib.sha1(warehouse.encode()).hexdigest()[:10]
    key = f"spark.sql.catalog.{catalog}"
    if spark.conf.get(key, None) is None:
        spark.conf.set(key, ICEBERG_CATALOG_CLASS)
        spark.conf.set(key + ".type", "hadoop")
        spark.conf.set(key + ".warehouse", warehouse)
        # Other writers commit between our reads: never serve a cached table state.
        spark.conf.set(key + ".cache-enabled", "false")
    return catalog, f"`{namespace}`.`{table}`"


def _catalog_table_exists(spark: SparkSession, name: str) -> bool:
    try:
        return bool(spark.catalog.tableExists(name))
    except Exception:  # an unknown catalog is no table: the caller reports it as missing
        return False


def read(spark: SparkSession, ref: TableRef) -> DataFrame:
    """The current rows of a table that exists."""
    if ref.format == "delta":
        return spark.read.format("delta").load(ref.target)
    if ref.format == "iceberg":
        return spark.table(ref.sql_name)
    return versioned.read_version(spark, ref.target)


def read_source(spark: SparkSession, uri: str, fmt: str | None) -> DataFrame:
    """A source dataset: ``fmt`` csv/parquet, or what the files say (Delta, Iceberg, (versioned) Parquet)."""
    if fmt == "csv":
        return io.read_table(spark, uri, "csv")
    found = detect(spark, uri)
    if found is None:
        raise TableInputError(f"source not found: {uri}")
    if found in ("delta", "iceberg"):
        return read(spark, resolve(spark, uri, None))
    return io.read_table(spark, uri, "parquet")


def current_version(spark: SparkSession, ref: TableRef) -> str | int | None:
    """Delta: the log version; Iceberg: the current snapshot id; Parquet: the version id (None: no table)."""
    if ref.format == "delta":
        row = spark.sql(f"DESCRIBE HISTORY {ref.sql_name} LIMIT 1").collect()
        return int(row[0]["version"]) if row else None
    if ref.format == "iceberg":
        rows = spark.sql(
            f"SELECT snapshot_id FROM {ref.sql_name}.history WHERE is_current_ancestor "
            "ORDER BY made_current_at DESC LIMIT 1"
        ).collect()
        return int(rows[0][0]) if rows else None
    info = versioned.current_version(spark, ref.target)
    return None if info is None else info.version
