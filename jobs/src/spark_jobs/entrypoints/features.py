"""Entry point: compute features from a JSON spec and write them atomically.

    spark-submit features.py --input URI --output URI --spec SPEC
        [--input-format parquet|csv] [--output-format parquet|delta] [--metrics-output URI]
        [--keep-versions N] [--encoders URI]

SPEC is a path/URI of a JSON file or an inline JSON string (see ``spark_jobs.features.pipeline``).
Parquet output is a versioned output (``spark_jobs.versioned``): the features, ``_encoders.json``
(the fitted encoder mappings) and ``_metrics.json`` (unless ``--metrics-output`` names another
place) are written once into ``<output>/_versions/<id>/`` and published by replacing the pointer
``<output>/_latest.json``; no data is renamed or copied. Delta output relies on Delta's own atomic
commit (side files next to its log). Bad input exits with code 2 before anything is written.

``--encoders URI`` applies the fitted encoders of an earlier run instead of fitting: URI names its
``_encoders.json``, or a features output whose current version holds one. They must match the
spec's encoder entries exactly (checked before any data is read); every row then gets the saved
full-data mapping (no out-of-fold values), and the same ``_encoders.json`` is written with the output.
"""

from __future__ import annotations

import argparse
import sys

from pyspark.sql import SparkSession

from spark_jobs import io, versioned
from spark_jobs.entrypoints._common import (
    EXIT_OK,
    METRICS_FILE,
    add_output_options,
    check_keep_versions,
    get_session,
    log,
    metrics_uri,
    run_guarded,
)
from spark_jobs.errors import ConfigurationError
from spark_jobs.features.categorical_encoder import CategoricalEncoder
from spark_jobs.features.pipeline import (
    check_against_columns,
    check_encoder_types,
    check_encoders,
    load_spec_text,
    parse_spec,
    run_pipeline,
)
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
    add_output_options(parser)
    parser.add_argument(
        "--encoders",
        default=None,
        help="apply these fitted encoders instead of fitting: an _encoders.json URI or a features output",
    )
    return parser


def _spec_text(spark: SparkSession, spec: str) -> str:
    """Inline JSON if ``spec`` starts with ``{``, else the content of the file it names."""
    stripped = spec.strip()
    return stripped if stripped.startswith("{") else io.read_text(spark, spec)


def _load_encoders(spark: SparkSession, uri: str) -> CategoricalEncoder:
    """The encoders at ``uri``: an ``_encoders.json`` file, or the current version of a features output."""
    if not uri.rstrip("/").endswith(".json"):
        version = versioned.current_version(spark, uri.rstrip("/"))
        if version is None:
            raise FileNotFoundError(f"--encoders {uri}: no committed features output there")
        uri = version.file_uri(ENCODERS_FILE)
    return CategoricalEncoder.load(spark, uri)


def main(argv: list[str] | None = None) -> int:
    """Run the features job; returns the process exit code."""
    args = build_parser().parse_args(argv)

    def body() -> int:
        check_keep_versions(args.keep_versions)
        spark = get_session()
        spec = parse_spec(load_spec_text(_spec_text(spark, args.spec)))
        encoders = None
        if args.encoders is not None:
            encoders = _load_encoders(spark, args.encoders)
            check_encoders(spec, encoders, f"--encoders {args.encoders}")
        if args.output_format == "delta" and not io.delta_available(spark):
            raise ConfigurationError(
                "--output-format delta needs Delta Lake on the classpath (delta-spark package and "
                "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension)"
            )
        metrics = SparkExecutionMetrics(spark)
        df = io.read_table(spark, args.input, args.input_format)
        check_against_columns(spec, df.columns)
        if encoders is not None:
            check_encoder_types(encoders, df.schema)
        required = spec.required_columns(fitting=encoders is None)
        metrics.track_execution("features.validate_input", io.validate_input, df, required, "input")
        (features, encoder), _ = metrics.track_execution("features.fit", run_pipeline, df, spec, encoders)
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
