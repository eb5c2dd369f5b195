"""Job outputs as Delta Lake or Apache Iceberg table commits (``--output-format delta|iceberg``).

A run replaces the table's rows with one commit of the format (Delta: an overwrite that also
replaces the schema; Iceberg: ``CREATE OR REPLACE``), so readers see the previous version or the
new one, and the table's history keeps the earlier versions for time travel. A run that fails or is
killed before that commit leaves the table at its previous version: data files it wrote are no part
of any version (the format's vacuum / snapshot expiry removes them).

The run's side files (``_encoders.json``, ``report.json``, ``_metrics.json``) go into
``<output>/_runs/<run-id>/`` before the commit, and the commit records the run id (Delta: the
commit's ``userMetadata``; Iceberg: the snapshot property ``spark-deploy.run``). So the side files
of the current version are found through the table itself, and those of a run that never committed
are never read. Side directories older than the kept window (``--keep-versions``) are deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession

from spark_jobs import io, versioned
from spark_jobs.tables import formats
from spark_jobs.tables.errors import TableInputError
from spark_jobs.tables.formats import TableRef

TABLE_OUTPUT_FORMATS: tuple[str, ...] = ("delta", "iceberg")
RUNS_DIR = "_runs"
RUN_PROPERTY = "spark-deploy.run"
"""Key of the run id in the commit (Delta userMetadata JSON, Iceberg snapshot summary)."""


@dataclass(frozen=True)
class TableOutput:
    """One run's table output: the table, and the run id its side files and commit carry."""

    ref: TableRef
    run_id: str

    @property
    def side_dir(self) -> str:
        """``<output>/_runs/<run-id>``: this run's side files."""
        return side_dir(self.ref, self.run_id)

    def file_uri(self, name: str) -> str:
        """The URI of the side file ``name`` of this run."""
        return self.side_dir + "/" + name


def side_dir(ref: TableRef, run_id: str) -> str:
    """The side-file directory of one run of the table output ``ref``."""
    return ref.target.rstrip("/") + "/" + RUNS_DIR + "/" + run_id


def prepare(spark: SparkSession, output: str, fmt: str) -> TableOutput:
    """Check the output before any data is read: the format's jars, a path URI, no other format there.

    Raises :class:`TableInputError` (exit code 2) naming the output and the problem.
    """
    if fmt not in TABLE_OUTPUT_FORMATS:
        raise TableInputError(f"--output-format must be one of {list(TABLE_OUTPUT_FORMATS)}, got {fmt!r}")
    if not formats.is_uri(output):
        raise TableInputError(
            f"--output {output!r}: a {fmt} output is a path or URI (the side files go next to the table)"
        )
    found = formats.detect(spark, output)
    if found is not None and found != fmt:
        what = {"parquet": "a versioned Parquet output", "plain": "a directory of files"}.get(
            found, f"a {found} table"
        )
        hint = f" or give --output-format {found}" if found in TABLE_OUTPUT_FORMATS else ""
        raise TableInputError(
            f"--output {output} is {what}, not a {fmt} table (--output-format {fmt}); "
            f"write the {fmt} output to a new location{hint}"
        )
    ref = formats.resolve(spark, output, fmt, must_exist=False)
    return TableOutput(ref, versioned.new_version_id())


def commit(spark: SparkSession, out: TableOutput, df: DataFrame) -> int:
    """Replace the table's rows (and schema) with ``df`` in one commit; returns the new version.

    Delta: the log version; Iceberg: the new current snapshot id.
    """
    ref = out.ref
    if ref.format == "delta":
        (
            df.write.format("delta")
            .mode("overwrite")
            .option("overwriteSchema", "true")
            .option("userMetadata", json.dumps({RUN_PROPERTY: out.run_id}))
            .save(ref.target)
        )
    else:
        df.writeTo(ref.sql_name).using("iceberg").option(
            "snapshot-property." + RUN_PROPERTY, out.run_id
        ).createOrReplace()
    committed = TableRef(ref.target, ref.format, True, ref.sql_name, ref.catalog, ref.identifier)
    version = formats.current_version(spark, committed)
    assert version is not None
    return int(version)


def publish(
    spark: SparkSession,
    out: TableOutput,
    df: DataFrame,
    write_side: Callable[[str], None],
    keep_versions: int,
) -> int:
    """Write the run's side files into :attr:`TableOutput.side_dir`, then commit ``df``; returns the version.

    If either step fails, the side directory is removed and the table stays at its previous version.
    """
    versioned.check_keep_versions(keep_versions)
    try:
        write_side(out.side_dir)
        version = commit(spark, out, df)
    except BaseException:
        io.delete(spark, out.side_dir)
        raise
    cleanup(spark, out, keep_versions)
    return version


def current_run(spark: SparkSession, target: str) -> str | None:
    """The run id the table's current version was committed with (None: not written by a job run)."""
    ref = formats.resolve(spark, target, None)
    if ref.format == "delta":
        row = spark.sql(f"DESCRIBE HISTORY {ref.sql_name} LIMIT 1").first()
        text = row["userMetadata"] if row is not None else None
        if not text:
            return None
        try:
            value = json.loads(text).get(RUN_PROPERTY)
        except (ValueError, AttributeError):
            return None
        return str(value) if value else None
    if ref.format == "iceberg":
        row = spark.sql(
            f"SELECT s.summary['{RUN_PROPERTY}'] AS run FROM {ref.sql_name}.snapshots s "
            f"JOIN {ref.sql_name}.history h ON s.snapshot_id = h.snapshot_id "
            "WHERE h.is_current_ancestor ORDER BY h.made_current_at DESC LIMIT 1"
        ).first()
        return str(row["run"]) if row is not None and row["run"] else None
    return None


def current_side_file(spark: SparkSession, target: str, name: str) -> str | None:
    """URI of the side file ``name`` of the table's current version (None when there is none)."""
    run = current_run(spark, target)
    if run is None:
        return None
    return side_dir(formats.resolve(spark, target, None), run) + "/" + name


def cleanup(spark: SparkSession, out: TableOutput, keep_versions: int) -> list[str]:
    """Delete side directories of runs older than the newest ``keep_versions + 1``; returns their ids.

    Run ids sort by their UTC creation time, so this keeps the current run's and the ones before it
    that a reader of an earlier table version may still resolve.
    """
    versioned.check_keep_versions(keep_versions)
    root = out.ref.target.rstrip("/") + "/" + RUNS_DIR
    if not io.exists(spark, root):
        return []
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    path = jvm.org.apache.hadoop.fs.Path(root)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    runs = sorted(str(s.getPath().getName()) for s in fs.listStatus(path) if s.isDirectory())
    kept = set(runs[-(keep_versions + 1) :]) | {out.run_id}
    doomed = [r for r in runs if r not in kept and r < out.run_id]
    for run in doomed:
        io.delete(spark, root + "/" + run)
    return doomed
