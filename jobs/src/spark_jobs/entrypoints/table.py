"""Entry point: one table operation per sub-command, on Delta Lake, Apache Iceberg or Parquet tables.

    spark-submit table.py query    --input URI --sql "SELECT ... FROM input ..." --output URI
    spark-submit table.py merge    --target URI --source URI --key COL[,COL...] [--order-by COL]
    spark-submit table.py update   --target URI --set "col = expr" [--set ...] --where EXPR
    spark-submit table.py delete   --target URI --where EXPR
    spark-submit table.py history  --target URI
    spark-submit table.py read     --target URI (--version V | --timestamp TS) --output URI
    spark-submit table.py metadata --input URI
    spark-submit table.py compact  --target URI [--target-file-mb N]
    spark-submit table.py vacuum   --target URI [--retention-hours H] [--unsafe-retention]
    common: [--format delta|iceberg|parquet] [--metrics-output URI] [--keep-versions N]

The format is what the target's files say (a Delta log, Iceberg metadata, a versioned Parquet
pointer); ``--format`` must agree with it, and names the format to create when ``merge`` finds no
target. Every operation prints a JSON summary (rows inserted/updated/deleted, version before/after)
and writes it to ``--metrics-output`` when given. Bad input (a bad SQL expression, a missing key
column, a target of another format) exits with code 2 before anything changes; a commit that lost
to a concurrent writer exits with code 3 and changed nothing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pyspark.sql import SparkSession

from spark_jobs import io
from spark_jobs.entrypoints._common import (
    EXIT_OK,
    add_output_options,
    dumps,
    log,
    run_job,
    split_columns,
)
from spark_jobs.tables import formats, history, maintenance, merge, metadata, modify, query
from spark_jobs.tables.errors import TableConflictError, TableInputError

EXIT_CONFLICT = 3
"""Exit code when another writer committed first (Delta/Iceberg optimistic concurrency); retry the job."""
OPERATIONS: tuple[str, ...] = (
    "query",
    "merge",
    "update",
    "delete",
    "history",
    "read",
    "metadata",
    "compact",
    "vacuum",
)


def build_parser() -> argparse.ArgumentParser:
    """The command line of the table job."""
    parser = argparse.ArgumentParser(
        prog="spark_jobs.entrypoints.table", description=__doc__.split("\n\n")[0]
    )
    ops = parser.add_subparsers(dest="operation", required=True, metavar="|".join(OPERATIONS))

    def op(name: str, help_text: str, target: bool = True) -> argparse.ArgumentParser:
        sub = ops.add_parser(name, help=help_text)
        if target:
            sub.add_argument(
                "--target", required=True, help="table URI, or catalog.namespace.table (Iceberg)"
            )
        sub.add_argument(
            "--format", choices=formats.FORMATS, default=None, help="default: what the target says"
        )
        add_output_options(sub)
        return sub

    q = op("query", "SELECT over the view 'input' into a versioned Parquet output", target=False)
    q.add_argument("--input", required=True, help="table or dataset URI (the view 'input')")
    q.add_argument("--input-format", choices=("parquet", "csv"), default=None, help="default: detected")
    q.add_argument("--sql", required=True)
    q.add_argument("--output", required=True)
    m = op("merge", "upsert the source into the target (created when missing)")
    m.add_argument("--source", required=True)
    m.add_argument("--source-format", choices=("parquet", "csv"), default=None, help="default: detected")
    m.add_argument("--key", required=True, help="key columns, comma-separated")
    m.add_argument("--order-by", default=None, help="per key, the row with the greatest value wins")
    u = op("update", "UPDATE SET ... WHERE ...")
    u.add_argument("--set", action="append", dest="sets", required=True, help="'column = expression'")
    u.add_argument("--where", required=True)
    d = op("delete", "DELETE WHERE ...")
    d.add_argument("--where", required=True)
    h = op("history", "the table's commits, newest first")
    h.add_argument("--limit", type=int, default=50)
    r = op("read", "the table as it was (time travel) into a versioned Parquet output")
    r.add_argument("--version", default=None)
    r.add_argument("--timestamp", default=None)
    r.add_argument("--output", required=True)
    md = op("metadata", "schema, rows, files, sizes, partitions, format version", target=False)
    md.add_argument("--input", required=True)
    c = op("compact", "rewrite small files")
    c.add_argument("--target-file-mb", type=int, default=maintenance.DEFAULT_TARGET_FILE_MB)
    v = op("vacuum", "delete files only old versions use (Iceberg: expire snapshots)")
    v.add_argument("--retention-hours", type=float, default=None, help="default: the format's safe minimum")
    v.add_argument("--unsafe-retention", action="store_true", help="allow a retention below the safe minimum")
    return parser


def run(spark: SparkSession, args: argparse.Namespace) -> dict[str, Any]:
    """Run one parsed operation; returns its summary (raises TableInputError / TableConflictError)."""
    keep = int(args.keep_versions)  # checked (>= 1) by run_job before the session exists
    if args.operation == "query":
        return query.query(
            spark, _input(spark, args.input, args.input_format, args.format), args.sql, args.output, keep
        )
    if args.operation == "metadata":
        found = formats.detect(spark, args.input)
        if found in (None, "plain") or (args.format is not None and found != args.format):
            df = _input(spark, args.input, None, args.format)
            return metadata.plain_metadata(spark, df, args.input, "parquet")
        return metadata.metadata(spark, formats.resolve(spark, args.input, args.format))
    if args.operation == "merge":
        ref = formats.resolve(spark, args.target, args.format, must_exist=False)
        source = formats.read_source(spark, args.source, args.source_format)
        return merge.merge(spark, ref, source, split_columns(args.key) or [], args.order_by, keep)
    ref = formats.resolve(spark, args.target, args.format)
    if args.operation == "update":
        return modify.update(spark, ref, args.sets, args.where, keep)
    if args.operation == "delete":
        return modify.delete(spark, ref, args.where, keep)
    if args.operation == "history":
        commits = history.history(spark, ref, args.limit)
        return {"operation": "history", "format": ref.format, "target": ref.target, "commits": commits}
    if args.operation == "read":
        df = history.read_as_of(spark, ref, args.version, args.timestamp)
        done = query.query(spark, df, "SELECT * FROM input", args.output, keep)
        return {
            **done,
            "operation": "read",
            "format": ref.format,
            "target": ref.target,
            "as_of": args.version or args.timestamp,
        }
    if args.operation == "compact":
        return maintenance.compact(spark, ref, args.target_file_mb, keep)
    return maintenance.vacuum(spark, ref, args.retention_hours, args.unsafe_retention, keep)


def _input(spark: SparkSession, uri: str, input_format: str | None, fmt: str | None) -> Any:
    if input_format == "csv":
        return io.read_table(spark, uri, "csv")
    found = formats.detect(spark, uri)
    if found in ("delta", "iceberg"):
        return formats.read(spark, formats.resolve(spark, uri, fmt))
    if found is None:
        raise TableInputError(f"input not found: {uri}")
    return io.read_table(spark, uri, "parquet")


def main(argv: list[str] | None = None) -> int:
    """Run the table job; returns the process exit code."""
    args = build_parser().parse_args(argv)

    def body(spark: SparkSession) -> int:
        try:
            done = run(spark, args)
        except TableConflictError as exc:
            log.error("table %s: %s", args.operation, exc)
            print(f"table {args.operation}: conflict: {exc}", file=sys.stderr)
            return EXIT_CONFLICT
        text = dumps(done)
        print(text)
        if args.metrics_output:
            io.write_text(spark, args.metrics_output, text)
        log.info("table %s: %s", args.operation, {k: v for k, v in done.items() if k != "commits"})
        return EXIT_OK

    return run_job(f"table {args.operation}", args, body)


if __name__ == "__main__":
    sys.exit(main())
