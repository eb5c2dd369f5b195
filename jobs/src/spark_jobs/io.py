"""I/O helpers for the jobs: read tables, check inputs, write small text files and commit outputs atomically.

Everything goes through Spark and the Hadoop FileSystem API of the session (never Python's
``open`` on a URI), so the same code works for local paths, ``file://`` and ``s3a://`` URIs.
"""

from __future__ import annotations

import uuid
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

from spark_jobs.features.errors import FeatureInputError

INPUT_FORMATS: tuple[str, ...] = ("parquet", "csv")
OUTPUT_FORMATS: tuple[str, ...] = ("parquet", "delta")
COLUMN_KINDS: tuple[str, ...] = ("any", "numeric", "string", "categorical", "timestamp")


class InputDataError(FeatureInputError):
    """The input data cannot be used: missing columns, wrong types, or no rows."""


def _fs_and_path(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
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
        jvm = spark.sparkContext._jvm
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def read_table(spark: SparkSession, uri: str, fmt: str = "parquet") -> DataFrame:
    """Read a Parquet dataset or a CSV file/directory (header row, inferred types)."""
    if fmt not in INPUT_FORMATS:
        raise InputDataError(f"input format must be one of {list(INPUT_FORMATS)}, got {fmt!r}")
    if not exists(spark, uri):
        raise InputDataError(f"input not found: {uri}")
    if fmt == "csv":
        return spark.read.option("header", "true").option("inferSchema", "true").csv(uri)
    return spark.read.parquet(uri)


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


def _sibling(spark: SparkSession, uri: str, tag: str) -> str:
    _, path = _fs_and_path(spark, uri.rstrip("/"))
    parent = path.getParent()
    if parent is None:
        raise ValueError(f"output {uri!r} has no parent directory; write below a directory")
    return str(parent.toString()) + f"/.{path.getName()}.{tag}-{uuid.uuid4().hex[:12]}"


def commit_atomically(spark: SparkSession, output_uri: str, write: Callable[[str], None]) -> str:
    """Run ``write(tmp_uri)`` into a hidden sibling of ``output_uri``, then make it the output.

    If ``write`` fails, the temporary location is removed and the previous output is untouched.
    On success the old output is moved aside, the new one renamed into place, and the old one
    deleted; if that rename fails the old output is moved back. On object stores (``s3a://``)
    a rename is a copy, so the swap is short but not instantaneous.
    """
    output_uri = output_uri.rstrip("/")
    tmp = _sibling(spark, output_uri, "tmp")
    try:
        write(tmp)
    except BaseException:
        delete(spark, tmp)
        raise
    fs, out_path = _fs_and_path(spark, output_uri)
    jvm = spark.sparkContext._jvm
    tmp_path = jvm.org.apache.hadoop.fs.Path(tmp)
    old_path = None
    if fs.exists(out_path):
        old_path = jvm.org.apache.hadoop.fs.Path(_sibling(spark, output_uri, "old"))
        if not fs.rename(out_path, old_path):
            delete(spark, tmp)
            raise OSError(f"could not move the previous output {output_uri} aside")
    else:
        parent = out_path.getParent()
        if parent is not None:
            fs.mkdirs(parent)
    if not fs.rename(tmp_path, out_path):
        if old_path is not None:
            fs.rename(old_path, out_path)
        delete(spark, tmp)
        raise OSError(f"could not rename {tmp} to {output_uri}; the previous output was restored")
    if old_path is not None:
        fs.delete(old_path, True)
    return output_uri


def write_table(df: DataFrame, uri: str, fmt: str = "parquet") -> None:
    """Write ``df`` to ``uri`` as Parquet or Delta Lake, replacing what is there."""
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"output format must be one of {list(OUTPUT_FORMATS)}, got {fmt!r}")
    df.write.mode("overwrite").format(fmt).save(uri)


def delta_available(spark: SparkSession) -> bool:
    """Whether the Delta Lake classes are on the session's classpath."""
    from py4j.java_gateway import JavaClass

    # py4j resolves names with the driver's class loader and answers a JavaPackage when absent.
    return isinstance(spark.sparkContext._jvm.io.delta.tables.DeltaTable, JavaClass)
