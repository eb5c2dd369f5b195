"""Entry point: validate features against a reference dataset and write a JSON report.

    spark-submit validate.py --input URI --reference URI --output URI
        [--columns a,b,...] [--bins 10] [--weight-col W] [--input-format parquet|csv]
        [--reference-format parquet|csv] [--ranges JSON] [--iqr-columns a,b]
        [--duplicate-subset a,b] [--output-format parquet|delta|iceberg] [--metrics-output URI]
        [--keep-versions N]

Writes ``report.json`` (feature statistics of the input, PSI of every column against the
reference with per-bin breakdowns, data-quality checks) and ``_metrics.json`` (unless
``--metrics-output`` names another place) as a new version of ``<output>`` (``spark_jobs.versioned``:
``<output>/_versions/<id>/``, published by replacing ``<output>/_latest.json``): a failed run
leaves the previous report. The input and the reference may be versioned outputs of the features job.
With ``--output-format delta|iceberg`` the output is a table of the report, one row per validated
column (:data:`REPORT_TABLE_SCHEMA`: its statistics and PSI), replaced by one table commit per run
(``spark_jobs.tables.outputs``; earlier reports stay in the table's history), with ``report.json``
in the run's ``<output>/_runs/<run-id>/``.
Bad input exits with code 2 before anything is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_jobs import io
from spark_jobs.entrypoints._common import (
    EXIT_OK,
    METRICS_FILE,
    add_output_options,
    dumps,
    log,
    run_job,
    split_columns,
    table_output,
)
from spark_jobs.features.engineering import data_quality_checks
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.features.feature_validator import STAT_COLUMNS, FeatureValidator
from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics
from spark_jobs.tables import outputs

REPORT_FILE = "report.json"
REPORT_TABLE_SCHEMA = (
    "feature string, rows long, psi double, psi_reading string, missing_rate double, "
    "unique_count long, zero_variance boolean, min double, max double, mean double, std double, "
    "p01 double, p99 double, skewness double, kurtosis double, generated_at string, input string, "
    "reference string"
)
"""The report as a table (``--output-format delta|iceberg``): one row per validated column."""


def build_parser() -> argparse.ArgumentParser:
    """The command line of the validate job."""
    parser = argparse.ArgumentParser(
        prog="spark_jobs.entrypoints.validate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--input", required=True, help="dataset to validate (local path, file://, s3a://)")
    parser.add_argument(
        "--reference", required=True, help="reference dataset for PSI (e.g. the training data)"
    )
    parser.add_argument("--output", required=True, help="report directory URI (replaced atomically)")
    parser.add_argument("--columns", default=None, help="comma-separated columns (default: numeric columns)")
    parser.add_argument("--bins", type=int, default=10, help="PSI quantile bins (default 10)")
    parser.add_argument("--weight-col", default=None, help="sample weight column, on both datasets")
    parser.add_argument("--input-format", choices=io.INPUT_FORMATS, default="parquet")
    parser.add_argument(
        "--reference-format", choices=io.INPUT_FORMATS, default=None, help="default: --input-format"
    )
    parser.add_argument("--ranges", default=None, help='declared ranges as JSON, e.g. {"amount": [0, 10000]}')
    parser.add_argument(
        "--iqr-columns", default=None, help="columns for IQR outliers (default: the numeric columns)"
    )
    parser.add_argument(
        "--duplicate-subset", default=None, help="columns that define a duplicate (default: all)"
    )
    add_output_options(parser, output_format=True)
    return parser


def _ranges(text: str | None) -> dict[str, list[float | None]]:
    if text is None:
        return {}
    try:
        ranges = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeatureInputError(f"--ranges is not valid JSON: {exc}") from None
    if not isinstance(ranges, dict):
        raise FeatureInputError(f"--ranges must be a JSON object of column -> [min, max], got {text!r}")
    return ranges


def _columns(
    df: DataFrame, reference: DataFrame, requested: list[str] | None, weight_col: str | None
) -> list[str]:
    if requested is not None:
        return requested
    numeric = [c for c, kind in _kinds(df).items() if kind == "numeric" and c != weight_col]
    chosen = [c for c in numeric if c in reference.columns]
    if not chosen:
        raise FeatureInputError(
            f"no numeric columns shared by input {df.columns} and reference {reference.columns}"
        )
    return chosen


def _kinds(df: DataFrame) -> dict[str, str]:
    out = {}
    for field in df.schema.fields:
        name = field.dataType.typeName()
        out[field.name] = (
            "numeric"
            if name in {"byte", "short", "integer", "long", "float", "double", "boolean"}
            or name.startswith("decimal")
            else "other"
        )
    return out


def build_report(
    spark: SparkSession, args: argparse.Namespace, metrics: SparkExecutionMetrics
) -> dict[str, Any]:
    """Read and check both datasets, then compute the report (no writes)."""
    df = io.read_table(spark, args.input, args.input_format)
    reference = io.read_table(spark, args.reference, args.reference_format or args.input_format)
    columns = _columns(df, reference, split_columns(args.columns), args.weight_col)
    required = {c: "any" for c in columns}
    if args.weight_col:
        required[args.weight_col] = "numeric"
    ranges = _ranges(args.ranges)
    for name in ranges:
        required[name] = "numeric"
    iqr = split_columns(args.iqr_columns)
    numeric_columns = [c for c in columns if _kinds(df).get(c) == "numeric"]
    iqr_columns = iqr if iqr is not None else numeric_columns
    for name in iqr_columns:
        required[name] = "numeric"
    dup_subset = split_columns(args.duplicate_subset)
    for name in dup_subset or []:
        required.setdefault(name, "any")
    if args.bins < 2:
        raise FeatureInputError(f"--bins must be an integer >= 2, got {args.bins}")
    metrics.track_execution("validate.check_input", io.validate_input, df, required, "input")
    ref_required = {c: kind for c, kind in required.items() if c in columns or c == args.weight_col}
    metrics.track_execution(
        "validate.check_reference", io.validate_input, reference, ref_required, "reference"
    )

    validator = FeatureValidator()
    result, _ = metrics.track_execution(
        "validate.features", validator.validate_features, df, columns, args.weight_col
    )
    # Every column's PSI in three Spark jobs (edges, then the shares of each side), not three per column.
    results, _ = metrics.track_execution(
        "validate.psi", validator.compute_psi_many, reference, df, columns, args.bins, args.weight_col, True
    )
    psi = [
        {
            "column": one.column,
            "psi": one.psi,
            "reading": one.reading,
            "bins": one.breakdown.to_dict(orient="records") if one.breakdown is not None else [],
        }
        for one in results
    ]
    quality, _ = metrics.track_execution(
        "validate.data_quality", data_quality_checks, df, ranges, iqr_columns, dup_subset
    )
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(),
        "input": args.input,
        "reference": args.reference,
        "rows": result.rows,
        "weight_col": args.weight_col,
        "bins": args.bins,
        "psi_reading": {"stable": "psi < 0.1", "watch": "0.1 <= psi <= 0.25", "shifted": "psi > 0.25"},
        "features": result.to_records(),
        "psi": psi,
        "data_quality": quality.to_dict(),
    }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def report_rows(spark: SparkSession, report: dict[str, Any]) -> DataFrame:
    """The report as rows of :data:`REPORT_TABLE_SCHEMA` (a statistic that is not a number is null)."""
    psi = {one["column"]: one for one in report["psi"]}
    rows = []
    for record in report["features"]:
        name = record["feature"]
        stats = {key: record.get(key) for key in STAT_COLUMNS}
        unique = stats["unique_count"]
        rows.append(
            (
                name,
                int(report["rows"]),
                _number(psi[name]["psi"]) if name in psi else None,
                psi[name]["reading"] if name in psi else None,
                _number(stats["missing_rate"]),
                int(unique) if isinstance(unique, (int, float)) and not isinstance(unique, bool) else None,
                bool(stats["zero_variance"]) if stats["zero_variance"] is not None else None,
                *(
                    _number(stats[k])
                    for k in ("min", "max", "mean", "std", "p01", "p99", "skewness", "kurtosis")
                ),
                report["generated_at"],
                report["input"],
                report["reference"],
            )
        )
    return spark.createDataFrame(rows, REPORT_TABLE_SCHEMA)


def main(argv: list[str] | None = None) -> int:
    """Run the validate job; returns the process exit code."""
    args = build_parser().parse_args(argv)

    def body(spark: SparkSession) -> int:
        table = table_output(spark, args.output, args.output_format)
        metrics = SparkExecutionMetrics(spark)
        report = build_report(spark, args, metrics)

        def write_report(target: str) -> None:
            io.write_text(spark, target.rstrip("/") + "/" + REPORT_FILE, dumps(report))

        def write(target: str) -> None:
            write_report(target)
            if args.metrics_output is None:
                metrics.export_metrics(target.rstrip("/") + "/" + METRICS_FILE)

        if table is not None:
            rows = report_rows(spark, json.loads(dumps(report)))
            outputs.publish(spark, table, rows, write_report, args.keep_versions)
            report_at, metrics_at = table.file_uri(REPORT_FILE), table.file_uri(METRICS_FILE)
            if args.metrics_output is None:
                metrics.export_metrics(metrics_at)  # the committed run's side directory
        else:
            version = io.commit_atomically(
                spark, args.output, write, data_format=None, keep_versions=args.keep_versions
            )
            report_at, metrics_at = version.file_uri(REPORT_FILE), version.file_uri(METRICS_FILE)
        if args.metrics_output is not None:
            metrics.export_metrics(args.metrics_output)
        log.info("validate: report at %s; metrics at %s", report_at, args.metrics_output or metrics_at)
        return EXIT_OK

    return run_job("validate", args, body)


if __name__ == "__main__":
    sys.exit(main())
