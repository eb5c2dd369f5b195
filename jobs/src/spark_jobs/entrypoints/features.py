"""Entry point: compute features from a JSON spec and write them atomically.

    spark-submit features.py --input URI --output URI --spec SPEC
        [--input-format parquet|csv] [--output-format parquet|delta|iceberg] [--metrics-output URI]
        [--keep-versions N] [--encoders URI]

SPEC is a path/URI of a JSON file or an inline JSON string (see ``spark_jobs.features.pipeline``).
Parquet output is a versioned output (``spark_jobs.versioned``): the features, ``_encoders.json``
(the fitted encoder mappings) and ``_metrics.json`` (unless ``--metrics-output`` names another
place) are written once into ``<output>/_versions/<id>/`` and published by replacing the pointer
``<output>/_latest.json``; no data is renamed or copied. Delta and Iceberg outputs are one commit of
the table per run (``spark_jobs.tables.outputs``: the rows and schema replaced, earlier versions in
the table's history); the side files go into ``<output>/_runs/<run-id>/``, named by the commit.
Bad input exits with code 2 before anything is written.

``--encoders URI`` applies the fitted encoders of an earlier run instead of fitting: URI names its
``_encoders.json``, or a features output (Parquet, Delta or Iceberg) whose current version holds
one. They must match the spec's encoder entries exactly (checked before any data is read); every
row then gets the saved full-data mapping (no out-of-fold values), and the same ``_encoders.json``
is written with the output.
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
    log,
    run_job,
    table_output,
)
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
from spark_jobs.tables import formats, outputs

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
    add_output_options(parser, output_format=True)
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
    if formats.detect(spark, uri) in outputs.TABLE_OUTPUT_FORMATS:
        side = outputs.current_side_file(spark, uri, ENCODERS_FILE)
        if side is None:
            raise FileNotFoundError(
                f"--encoders {uri}: its current version was not written by a features run"
            )
        uri = side
    elif not uri.rstrip("/").endswith(".json"):
        version = versioned.current_version(spark, uri.rstrip("/"))
        if version is None:
            raise FileNotFoundError(f"--encoders {uri}: no committed features output there")
        uri = version.file_uri(ENCODERS_FILE)
    return CategoricalEncoder.load(spark, uri)


def main(argv: list[str] | None = None) -> int:
    """Run the features job; returns the process exit code."""
    args = build_parser().parse_args(argv)

    def body(spark: SparkSession) -> int:
        spec = parse_spec(load_spec_text(_spec_text(spark, args.spec)))
        encoders = None
        if args.encoders is not None:
            encoders = _load_encoders(spark, args.encoders)
            check_encoders(spec, encoders, f"--encoders {args.encoders}")
        table = table_output(spark, args.output, args.output_format)
        metrics = SparkExecutionMetrics(spark)
        df = io.read_table(spark, args.input, args.input_format)
        check_against_columns(spec, df.columns)
        if encoders is not None:
            check_encoder_types(encoders, df.schema)
        required = spec.required_columns(fitting=encoders is None)
        metrics.track_execution("features.validate_input", io.validate_input, df, required, "input")
        (features, encoder), _ = metrics.track_execution("features.fit", run_pipeline, df, spec, encoders)

        def write_side(target: str) -> None:
            encoder.save(spark, target.rstrip("/") + "/" + ENCODERS_FILE)

        def write(target: str) -> None:
            metrics.track_execution("features.write", io.write_table, features, target, "parquet")
            write_side(target)
            if args.metrics_output is None:
                metrics.export_metrics(target.rstrip("/") + "/" + METRICS_FILE)

        if table is not None:
            metrics.track_execution(
                "features.write", outputs.publish, spark, table, features, write_side, args.keep_versions
            )
            metrics_at = args.metrics_output or table.file_uri(METRICS_FILE)
            if args.metrics_output is None:
                metrics.export_metrics(metrics_at)  # the committed run's side directory
        else:
            version = io.commit_atomically(spark, args.output, write, keep_versions=args.keep_versions)
            metrics_at = args.metrics_output or version.file_uri(METRICS_FILE)
        if args.metrics_output is not None:
            metrics.export_metrics(args.metrics_output)
        log.info("features: wrote %s (%s); metrics at %s", args.output, args.output_format, metrics_at)
        return EXIT_OK

    return run_job("features", args, body)


if __name__ == "__main__":
    sys.exit(main())
