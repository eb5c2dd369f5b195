"""What every entry point shares: its output options, the guard (session, errors -> exit 2), JSON output."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Callable
from typing import Any

from pyspark.sql import SparkSession

from spark_jobs import versioned
from spark_jobs.errors import InputError, SparkJobsError, unreadable_file_error
from spark_jobs.tables import outputs

EXIT_OK = 0
EXIT_BAD_INPUT = 2
"""Exit code for every :class:`~spark_jobs.errors.SparkJobsError` (bad input, spec or configuration;
nothing was written). Unexpected errors raise (exit 1)."""

OUTPUT_FORMATS: tuple[str, ...] = ("parquet", *outputs.TABLE_OUTPUT_FORMATS)
"""``--output-format``: a versioned Parquet output, or a Delta Lake / Apache Iceberg table commit."""

METRICS_FILE = "_metrics.json"
"""Default metrics file name inside the output's version directory (Spark readers skip ``_`` files)."""

log = logging.getLogger("spark_jobs")


def get_session() -> SparkSession:
    """The session spark-submit configured; the job sets no tuning of its own."""
    return SparkSession.builder.getOrCreate()


def configure_logging() -> None:
    """Log job progress to stderr once (the driver log on EMR Serverless and Kubernetes)."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def run_guarded(job: str, body: Callable[[], int]) -> int:
    """Run ``body``; any :class:`SparkJobsError` (and a missing or unreadable input file) becomes one
    clear error line and exit code 2. Anything else propagates (exit 1, with its traceback)."""
    configure_logging()
    try:
        return body()
    except (SparkJobsError, FileNotFoundError) as exc:
        return _refuse(job, exc)
    except Exception as exc:
        # Spark reports a corrupt input file as a Java stack trace: keep only the file and the reason.
        unreadable = unreadable_file_error(exc)
        if unreadable is None:
            raise
        return _refuse(job, unreadable)


def run_job(job: str, args: argparse.Namespace, body: Callable[[SparkSession], int]) -> int:
    """The guard every entry point runs its work in: ``--keep-versions`` checked before the session
    exists, then ``body(session)`` under :func:`run_guarded` (bad input: one error line, exit 2)."""

    def guarded() -> int:
        check_keep_versions(args.keep_versions)
        return body(get_session())

    return run_guarded(job, guarded)


def _refuse(job: str, exc: BaseException) -> int:
    log.error("%s: %s", job, exc)
    print(f"{job}: error: {exc}", file=sys.stderr)
    return EXIT_BAD_INPUT


def add_output_options(parser: argparse.ArgumentParser, *, output_format: bool = False) -> None:
    """The options every job that publishes a versioned output takes: where metrics go, versions kept,
    and (``output_format``) ``--output-format parquet|delta|iceberg``."""
    if output_format:
        parser.add_argument(
            "--output-format",
            choices=OUTPUT_FORMATS,
            default="parquet",
            help="parquet: a versioned output; delta/iceberg: one table commit per run (default %(default)s)",
        )
    parser.add_argument(
        "--metrics-output", default=None, help="metrics JSON URI (default: _metrics.json in the version)"
    )
    parser.add_argument(
        "--keep-versions",
        type=int,
        default=versioned.DEFAULT_KEEP_VERSIONS,
        help="committed versions kept besides the current one (>= 1, default %(default)s)",
    )


def table_output(spark: SparkSession, output: str, output_format: str) -> outputs.TableOutput | None:
    """The Delta/Iceberg output of this run, checked before any data is read (None: Parquet)."""
    if output_format == "parquet":
        return None
    return outputs.prepare(spark, output, output_format)


def check_keep_versions(value: int) -> int:
    """``--keep-versions`` must be an integer >= 1; bad input before anything is read or written."""
    if value < 1:
        raise InputError(
            f"--keep-versions must be an integer >= 1 (the version before the current one may still be "
            f"read), got {value}"
        )
    return value


def split_columns(value: str | None) -> list[str] | None:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None stays None."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    return names or None


def jsonable(value: Any) -> Any:
    """Make ``value`` strict JSON: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(document: Any) -> str:
    """Strict, readable JSON."""
    return json.dumps(jsonable(document), indent=2, sort_keys=False, allow_nan=False, default=str)
