"""Entry point: model-ready training data from raw events, split by user, filled and scaled without leakage.

    spark-submit training_data.py --input URI --output URI
        [--key customer_id] [--time event_time] [--value amount] [--category category] [--label label]
        [--windows 7d,30d] [--test-fraction 0.2] [--seed 42] [--missing COL=POLICY,...]
        [--default-missing mean] [--partition-by COL,...] [--as-of ISO-TIME] [--input-format parquet|csv]
        [--metrics-output URI] [--keep-versions N]

Computes ``spark_jobs.ml``'s window features (count, sum, mean, std of ``--value`` over each
``--windows`` range of event time) and user features, splits whole users into train and test by a
hash of key and seed, fits the missing-value fills (``--missing``: ``mean``, ``median``, ``drop``,
``constant:<number>``; ``--default-missing`` for every other feature) and the VectorAssembler +
StandardScaler pipeline on the training rows only, and applies both to both splits.

The rows (a ``split`` column ``train``/``test``, the filled features, the scaled ``features``
vector) are a versioned output (``spark_jobs.versioned``), partitioned by ``split`` and then by
``--partition-by``. Next to the data in the same version: ``_pipeline/`` (the fitted Spark ML
``PipelineModel``, loadable with ``PipelineModel.load``), ``_missing_values.json`` (the fill values),
``_summary.json`` (rows and users per split, label balance, features, fill values, scaler
statistics, the version) and ``_metrics.json``. The summary is also printed to stdout. Bad input
exits with code 2 before any data is read or written.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pyspark.sql import SparkSession

from spark_jobs import io
from spark_jobs.entrypoints._common import (
    EXIT_OK,
    METRICS_FILE,
    add_output_options,
    dumps,
    log,
    run_job,
    split_columns,
)
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics
from spark_jobs.ml.scaling import FEATURES_COL
from spark_jobs.ml.split import SPLIT_COL
from spark_jobs.ml.training_set import TrainingData, TrainingDataConfig, build_training_data, check_config
from spark_jobs.ml.user_features import user_feature_names

PIPELINE_DIR = "_pipeline"
MISSING_VALUES_FILE = "_missing_values.json"
SUMMARY_FILE = "_summary.json"


def build_parser() -> argparse.ArgumentParser:
    """The command line of the training-data job."""
    parser = argparse.ArgumentParser(
        prog="spark_jobs.entrypoints.training_data", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--input", required=True, help="events dataset URI (local path, file://, s3a://)")
    parser.add_argument("--output", required=True, help="output dataset URI (a new version per run)")
    parser.add_argument("--input-format", choices=io.INPUT_FORMATS, default="parquet")
    parser.add_argument("--key", default="customer_id", help="user column (default %(default)s)")
    parser.add_argument("--time", default="event_time", help="event-time column (default %(default)s)")
    parser.add_argument("--value", default="amount", help="numeric value column (default %(default)s)")
    parser.add_argument("--category", default="category", help="category column (default %(default)s)")
    parser.add_argument("--label", default="label", help="numeric label column (default %(default)s)")
    parser.add_argument("--windows", default="7d,30d", help="event-time windows (default %(default)s)")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="share of users in test")
    parser.add_argument("--seed", type=int, default=42, help="split seed (default %(default)s)")
    parser.add_argument(
        "--missing", default=None, help="COL=POLICY,... with POLICY mean, median, drop or constant:<number>"
    )
    parser.add_argument("--default-missing", default="mean", help="policy of the other features")
    parser.add_argument(
        "--partition-by", default=None, help="partition columns after split (comma-separated)"
    )
    parser.add_argument("--as-of", default=None, help="time of days_since_first (default: latest event)")
    add_output_options(parser)
    return parser


def parse_missing(text: str | None) -> dict[str, str]:
    """``"a=mean,b=constant:0"`` -> ``{"a": "mean", "b": "constant:0"}`` (policies checked later)."""
    out: dict[str, str] = {}
    for item in split_columns(text) or []:
        column, sep, policy = item.partition("=")
        if not sep or not column.strip() or not policy.strip():
            raise FeatureInputError(f"--missing: {item!r} is not COL=POLICY (e.g. amount=median)")
        out[column.strip()] = policy.strip()
    return out


def config_from_args(args: argparse.Namespace) -> TrainingDataConfig:
    """The job's configuration, checked completely (no data needed)."""
    config = TrainingDataConfig(
        key_col=args.key,
        time_col=args.time,
        value_col=args.value,
        category_col=args.category,
        label_col=args.label,
        windows=tuple(split_columns(args.windows) or []),
        test_fraction=args.test_fraction,
        seed=args.seed,
        missing=parse_missing(args.missing),
        default_missing=args.default_missing,
        as_of=args.as_of,
    )
    check_config(config)
    if args.as_of is not None:
        from datetime import datetime

        try:
            datetime.fromisoformat(args.as_of.replace("Z", "+00:00"))
        except ValueError:
            raise FeatureInputError(f"--as-of must be an ISO-8601 time, got {args.as_of!r}") from None
    return config


def partition_columns(extra: list[str], config: TrainingDataConfig, columns: list[str]) -> list[str]:
    """``split`` then ``--partition-by``; each must be an output column other than the feature vector."""
    out = [SPLIT_COL]
    allowed = [*columns, *config.feature_cols, *user_feature_names(config.value_col)]
    for name in extra:
        if name == FEATURES_COL or name not in allowed:
            raise FeatureInputError(
                f"--partition-by: '{name}' is not a column of the output; allowed: "
                f"{sorted(set(allowed) - {FEATURES_COL})}"
            )
        if name not in out:
            out.append(name)
    return out


def summary(data: TrainingData, version: str, output: str) -> dict[str, Any]:
    """The run's JSON summary."""
    return {"output": output, "version": version, **data.summary()}


def main(argv: list[str] | None = None) -> int:
    """Run the training-data job; returns the process exit code."""
    args = build_parser().parse_args(argv)

    def body(spark: SparkSession) -> int:
        config = config_from_args(args)
        extra_partitions = split_columns(args.partition_by) or []
        metrics = SparkExecutionMetrics(spark)
        df = io.read_table(spark, args.input, args.input_format)
        required = {
            config.key_col: "categorical",
            config.time_col: "timestamp",
            config.value_col: "numeric",
            config.category_col: "categorical",
            config.label_col: "numeric",
        }
        metrics.track_execution("training_data.validate_input", io.validate_input, df, required, "input")
        partitions = partition_columns(extra_partitions, config, df.columns)
        data, _ = metrics.track_execution("training_data.fit", build_training_data, df, config)
        written: dict[str, Any] = {}

        def write(target: str) -> None:
            base = target.rstrip("/")
            writer = data.rows.write.mode("overwrite").partitionBy(*partitions)
            metrics.track_execution("training_data.write", writer.parquet, base)
            data.pipeline.write().overwrite().save(base + "/" + PIPELINE_DIR)
            io.write_text(spark, base + "/" + MISSING_VALUES_FILE, data.missing_values.to_json())
            written.update(summary(data, base.rsplit("/", 1)[-1], args.output))
            io.write_text(spark, base + "/" + SUMMARY_FILE, dumps(written))
            if args.metrics_output is None:
                metrics.export_metrics(base + "/" + METRICS_FILE)

        try:
            version = io.commit_atomically(spark, args.output, write, keep_versions=args.keep_versions)
        finally:
            data.unpersist()
        if args.metrics_output is not None:
            metrics.export_metrics(args.metrics_output)
        print(dumps({**written, "rows_written": version.rows}))
        log.info("training_data: wrote version %s of %s", version.version, args.output)
        return EXIT_OK

    return run_job("training_data", args, body)


if __name__ == "__main__":
    sys.exit(main())
