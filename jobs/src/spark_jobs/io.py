"""I/O helpers for the jobs: read tables, check inputs, write small text files and commit outputs atomically.

Outputs are versioned (:mod:`spark_jobs.versioned`): each run writes a new version once and
publishes it with one atomic pointer write; no data is renamed or copied to commit.

Everything goes through Spark and the Hadoop FileSystem API of the session (never Python's
``open`` on a URI), so the same code works for local paths, ``file://`` and ``s3a://`` URIs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    NumericType,
    StringType,
    TimestampType,
)

from spark_jobs import versioned
from spark_jobs.errors import unreadable_file_error
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.jvm import jvm_of

INPUT_FORMATS: tuple[str, ...] = ("parquet", "csv")
OUTPUT_FORMATS: tuple[str, ...] = ("parquet", "delta")
COLUMN_KINDS: tuple[str, ...] = ("any", "numeric", "string", "categorical", "timestamp")


class InputDataError(FeatureInputError):
    """The input data cannot be used: missing columns, wrong types, or no rows."""


def _fs_and_path(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    jvm = jvm_of(spark.sparkContext)
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def exists(spark: SparkSession, uri: str) -> bool:
    """Whether ``uri`` exists (file or directory)."""
    fs, path = _fs_and_path(spark, uri)
    return bool(fs.exists(path))


def delete(spark: SparkSession, uri: str) -> None:
    """Delete ``uri`` recursively if it exists."""
    fs, path = _fs_and_path(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def write_text(spark: SparkSession, uri: str, text: str) -> str:
    """Write ``text`` (UTF-8) to the file ``uri``, replacing it; returns ``uri``."""
    return write_text_with_context(spark.sparkContext, uri, text)


def write_text_with_context(sc: Any, uri: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``uri`` through the driver's Hadoop FileSystem API; returns ``uri``."""
    path = sc._jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(sc._jsc.hadoopConfiguration())
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    return uri


def read_text(spark: SparkSession, uri: str) -> str:
    """Read the whole file ``uri`` as UTF-8 text."""
    fs, path = _fs_and_path(spark, uri)
    if not fs.exists(path):
        raise FileNotFoundError(f"no such file: {uri}")
    stream = fs.open(path)
    try:
        jvm = jvm_of(spark.sparkContext)
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def read_table(spark: SparkSession, uri: str, fmt: str = "parquet") -> DataFrame:
    """Read a Parquet dataset or a CSV file/directory (header row, inferred types).

    A versioned output (one with ``_latest.json``, written by :func:`commit_atomically`) reads
    exactly the files of its current version; a plain Parquet directory reads as it is.
    """
    if fmt not in INPUT_FORMATS:
        raise InputDataError(f"input format must be one of {list(INPUT_FORMATS)}, got {fmt!r}")
    if not exists(spark, uri):
        raise InputDataError(f"input not found: {uri}")
    try:
        if fmt == "csv":
            return spark.read.option("header", "true").option("inferSchema", "true").csv(uri)
        current = versioned.current_version(spark, uri)
        if current is not None:
            return versioned.read_files(spark, current)
        return spark.read.parquet(uri)
    except Exception as exc:
        # A corrupt file whose footer the schema pass reads: the file and the reason, no Java trace.
        # (One found later, by the first scan, is mapped the same way by the entry points.)
        unreadable = unreadable_file_error(exc)
        if unreadable is None:
            raise
        raise InputDataError(f"input {uri}: {unreadable}") from None


def read_latest(spark: SparkSession, uri: str) -> DataFrame:
    """The current version of a versioned output (the feature store's "latest")."""
    return versioned.read_version(spark, uri)


def read_version(spark: SparkSession, uri: str, version: str) -> DataFrame:
    """One committed version of a versioned output, by id (see :func:`versioned.list_versions`)."""
    return versioned.read_version(spark, uri, version)


def _matches(dtype: DataType, kind: str) -> bool:
    if kind == "any":
        return True
    if kind == "numeric":
        return isinstance(dtype, (NumericType, BooleanType))
    if kind == "string":
        return isinstance(dtype, StringType)
    if kind == "categorical":
        return isinstance(dtype, (StringType, BooleanType)) or dtype.typeName() in {
            "byte",
            "short",
            "integer",
            "long",
        }
    return isinstance(dtype, (TimestampType, DateType)) or dtype.typeName() == "timestamp_ntz"


def validate_input(df: DataFrame, required: Mapping[str, str], what: str = "input") -> None:
    """Check that ``df`` has every column in ``required`` with the declared kind, and at least one row.

    ``required`` maps a column name to one of :data:`COLUMN_KINDS`. Raises :class:`InputDataError`
    listing every problem at once, before anything is computed or written.
    """
    problems = []
    for name, kind in required.items():
        if kind not in COLUMN_KINDS:
            raise ValueError(
                f"validate_input: kind for '{name}' must be one of {list(COLUMN_KINDS)}, got {kind!r}"
            )
        if name not in df.columns:
            problems.append(f"missing column '{name}'")
        elif not _matches(df.schema[name].dataType, kind):
            problems.append(
                f"column '{name}' has type {df.schema[name].dataType.simpleString()}, expected {kind}"
            )
    if problems:
        raise InputDataError(f"{what}: " + "; ".join(problems) + f" (available columns: {df.columns})")
    if df.isEmpty():
        raise InputDataError(f"{what}: no rows")


def commit_atomically(
    spark: SparkSession,
    output_uri: str,
    write: Callable[[str], None],
    *,
    data_format: str | None = "parquet",
    keep_versions: int = versioned.DEFAULT_KEEP_VERSIONS,
) -> versioned.OutputVersion:
    """Commit ``write(version_dir)`` as a new version of ``output_uri`` without renaming or copying data.

    The files are written once into ``<output>/_versions/<id>/`` and published by replacing the small
    pointer ``<output>/_latest.json`` in one atomic step (see :mod:`spark_jobs.versioned`). A failed
    or killed write leaves the previous version visible; older versions beyond ``keep_versions`` are
    deleted afterwards. Returns the published version.
    """
    return versioned.commit_version(
        spark, output_uri, write, data_format=data_format, keep_versions=keep_versions
    )


def write_table(df: DataFrame, uri: str, fmt: str = "parquet") -> None:
    """Write ``df`` to ``uri`` as Parquet or Delta Lake, replacing what is there."""
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"output format must be one of {list(OUTPUT_FORMATS)}, got {fmt!r}")
    df.write.mode("overwrite").format(fmt).save(uri)


def delta_available(spark: SparkSession) -> bool:
    """Whether the Delta Lake classes are on the session's classpath."""
    from py4j.java_gateway import JavaClass

    # py4j resolves names with the driver's class loader and answers a JavaPackage when absent.
    return isinstance(jvm_of(spark.sparkContext).io.delta.tables.DeltaTable, JavaClass)
