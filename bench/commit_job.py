"""The job bench/commit-cost.ts runs: write random doubles to an output and commit them one way.

  commit_job.py --output URI --rows N --partitions P --commit versioned|rename

``versioned`` is ``spark_jobs.io.commit_atomically`` (a new version under ``_versions/`` and one
pointer write). ``rename`` is the commit it replaced, kept here only as the baseline: write to a
hidden sibling, move the old output aside, rename the new one into place, delete the old one (on S3A
every rename is a copy of each object plus a delete). Prints ``RESULT {...}`` with the write and
commit times.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.io import commit_atomically, write_table


def rename_commit(spark: SparkSession, output: str, write: Any) -> None:
    """The previous ``commit_atomically``: hidden sibling, then two directory renames."""
    jvm = spark.sparkContext._jvm
    out = jvm.org.apache.hadoop.fs.Path(output)
    fs = out.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    parent = out.getParent().toString()
    tmp = jvm.org.apache.hadoop.fs.Path(f"{parent}/.{out.getName()}.tmp-{uuid.uuid4().hex[:12]}")
    write(tmp.toString())
    old = None
    if fs.exists(out):
        old = jvm.org.apache.hadoop.fs.Path(f"{parent}/.{out.getName()}.old-{uuid.uuid4().hex[:12]}")
        fs.rename(out, old)
    fs.rename(tmp, out)
    if old is not None:
        fs.delete(old, True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--commit", choices=("versioned", "rename"), required=True)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("commit-cost").getOrCreate()
    df = spark.range(args.rows, numPartitions=args.partitions).select(
        "id", *[F.rand(seed=i).alias(f"x{i}") for i in range(4)]
    )
    timings: dict[str, float] = {}

    def write(target: str) -> None:
        start = time.monotonic()
        write_table(df, target)
        timings["write_s"] = time.monotonic() - start

    start = time.monotonic()
    if args.commit == "versioned":
        commit_atomically(spark, args.output, write)
    else:
        rename_commit(spark, args.output, write)
    total = time.monotonic() - start
    timings["commit_s"] = total - timings["write_s"]
    timings["total_s"] = total
    print("RESULT " + json.dumps({k: round(v, 3) for k, v in timings.items()}), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
