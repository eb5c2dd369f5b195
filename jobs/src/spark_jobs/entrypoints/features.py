"""Entry point: compute features from a JSON spec and write them atomically.

    spark-submit features.py --input URI --output URI --spec SPEC
        [--input-format parquet|csv] [--output-format parquet|delta] [--metrics-output URI]
        [--keep-versions N]

SPEC is a path/URI of a JSON file or an inline JSON string (see ``spark_jobs.features.pipeline``).
Parquet output is a versioned output (``spark_jobs.versioned``): the features, ``_encoders.json``
(the fitted encoder mappings) and ``_metrics.json`` (unless ``--metrics-output`` names another
place) are written once into ``<output>/_versions/<id>/`` and published by replacing the pointer
``<output>/_latest.json``; no data is renamed or copied. Delta output relies on Delta's own atomic
commit (side files next to its log). Bad input exits with code 2 before anything is written.
"""

from __future__ import annotations

import argparse
import sys

from pyspark.sql import SparkSession

from spark_jobs import io
from spark_jobs.entrypoints._common import (
    EXIT_OK,
    METRICS_FILE,
    check_keep_versions,
    get_session,
    log,
    metrics_uri,
    run_guarded,
)
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.features.pipeline import check_against_columns, load_spec_text, parse_spec, run_pipeline
from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics

ENCODERS_FILE = "_encoders.json"


def build_parser() -> argparse.ArgumentParser:
    """The command line of the features job."""
    parser = argparse.ArgumentParser(
        prog="spark_jobs.entrypoints.features", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--input", required=True, help="input dataset URI (local path, file://, s3a://)")
    parser.add_argument("--output", required=True, help="output dataset URI (replaced atomically)")
    parser.add_argument("--spec", required=True, help="feature spec: JSON file URI or inline JSON")
    parser.add_argument("--input-format", choices=io.INPUT_FORMATS, default="parquet")
    parser.add_argument("--output-format", choices=io.OUTPUT_FORMATS, default="parquet")
    parser.add_argument(
        "--metrics-output", default=None, help="metrics JSON URI (default: _metrics.json in the version)"
    )
    parser.add_argument(
        "--keep-versions",
        type=int,
        default=io.versioned.DEFAULT_KEEP_VERSIONS,
        help="committed versions kept besides the current one (>= 1, default %(default)s)",
    )
    return parser


def _spec_text(spark: SparkSession, spec: str) -> str:
    """Inline JSON if ``spec`` starts with ``{``, else the content of the file it names."""
    stripped = spec.strip()
    return stripped if stripped.startswith("{") else io.read_text(spark, spec)


def main(argv: list[str] | None = None) -> int:
    """Run the features job; returns the process exit code."""
    args = build_parser().parse_args(argv)

    def body() -> int:
        check_keep_versions(args.keep_versions)
        spark = get_session()
        spec = parse_spec(load_spec_text(_spec_text(spark, args.spec)))
        if args.output_format == "delta" and not io.delta_available(spark):
            raise FeatureInputError(
                "--output-format delta needs Delta Lake on the classpath (delta-spark package and "
                "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension)"
            )
        metrics = SparkExecutionMetrics(spark)
        df = io.read_table(spark, args.input, args.input_format)
        check_against_columns(spec, df.columns)
        metrics.track_execution(
            "features.validate_input", io.validate_input, df, spec.required_columns(), "input"
        )
        (features, encoder), _ = metrics.track_execution("features.fit", run_pipeline, df, spec)
        metrics_at = metrics_uri(args.output, args.metrics_output)

        def write(target: str) -> None:
            metrics.track_execution("features.write", io.write_table, features, target, args.output_format)
            encoder.save(spark, target.rstrip("/") + "/" + ENCODERS_FILE)
            if args.metrics_output is None:
                metrics.export_metrics(target.rstrip("/") + "/" + METRICS_FILE)

        if args.output_format == "delta":
            write(args.output)  # Delta commits atomically through its transaction log
        else:
            version = io.commit_atomically(spark, args.output, write, keep_versions=args.keep_versions)
            metrics_at = args.metrics_output or version.file_uri(METRICS_FILE)
        if args.metrics_output is not None:
            metrics.export_metrics(args.metrics_output)
        log.info("features: wrote %s (%s); metrics at %s", args.output, args.output_format, metrics_at)
        return EXIT_OK

    return run_guarded("features", body)


if __name__ == "__main__":
    sys.exit(main())
