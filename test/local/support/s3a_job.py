"""A small job for the S3A tests: read transactions, aggregate per customer, commit the output.

Writes through ``spark_jobs.io.commit_atomically`` + ``write_table``, the helpers the entry points
use, so the test exercises the same commit path (a new version under ``_versions/`` and one pointer
write). ``--multiplier`` scales the totals so that every run's output is different and known;
``--slow-seconds`` makes every write task sleep first, so that a test can kill the run while the
write is in progress; ``--synthetic-rows`` writes that many rows of random doubles instead (no
input), for counting the requests of a commit of a known size.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.io import commit_atomically, write_table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input")
    parser.add_argument("--output", required=True)
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--multiplier", type=float, default=1.0)
    parser.add_argument("--keep-versions", type=int, default=2)
    parser.add_argument("--synthetic-rows", type=int, default=0)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("s3a-test-job").getOrCreate()
    if args.synthetic_rows > 0:
        totals = spark.range(args.synthetic_rows, numPartitions=args.partitions).select(
            "id", *[F.rand(seed=i).alias(f"x{i}") for i in range(4)]
        )
    else:
        df = spark.read.parquet(args.input)
        totals = df.groupBy("customer_id").agg(
            F.count(F.lit(1)).alias("transactions"),
            (F.sum("amount") * F.lit(args.multiplier)).alias("total_amount"),
        )
        totals = totals.repartition(args.partitions)
    if args.slow_seconds > 0:
        delay = args.slow_seconds

        def slowly(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            time.sleep(delay)
            yield from batches

        totals = totals.mapInPandas(slowly, totals.schema)
    print("WRITE STARTED", flush=True)
    started = time.monotonic()
    version = commit_atomically(
        spark, args.output, lambda target: write_table(totals, target), keep_versions=args.keep_versions
    )
    conf = spark.sparkContext.getConf()
    print(
        "RESULT "
        + json.dumps(
            {
                "committer": conf.get("spark.hadoop.fs.s3a.committer.name", ""),
                "protocol": conf.get("spark.sql.sources.commitProtocolClass", ""),
                "master": spark.sparkContext.master,
                "driverMemory": conf.get("spark.driver.memory", ""),
                "version": version.version,
                "rows": version.rows,
                "seconds": round(time.monotonic() - started, 3),
            }
        ),
        flush=True,
    )
    spark.stop()


if __name__ == "__main__":
    main()
