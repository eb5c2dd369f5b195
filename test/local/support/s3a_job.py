"""A small job for the S3A tests: read transactions, aggregate per customer, commit the output.

Writes through ``spark_jobs.io.commit_atomically`` + ``write_table``, the helpers the entry points
use, so the test exercises the same commit path. ``--slow-seconds`` makes every write task sleep
first, so that a test can kill the run while the write is in progress.
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
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("s3a-test-job").getOrCreate()
    df = spark.read.parquet(args.input)
    totals = df.groupBy("customer_id").agg(
        F.count(F.lit(1)).alias("transactions"), F.sum("amount").alias("total_amount")
    )
    totals = totals.repartition(args.partitions)
    if args.slow_seconds > 0:
        delay = args.slow_seconds

        def slowly(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            time.sleep(delay)
            yield from batches

        totals = totals.mapInPandas(slowly, totals.schema)
    print("WRITE STARTED", flush=True)
    commit_atomically(spark, args.output, lambda tmp: write_table(totals, tmp))
    conf = spark.sparkContext.getConf()
    print(
        "RESULT "
        + json.dumps(
            {
                "committer": conf.get("spark.hadoop.fs.s3a.committer.name", ""),
                "protocol": conf.get("spark.sql.sources.commitProtocolClass", ""),
                "master": spark.sparkContext.master,
                "driverMemory": conf.get("spark.driver.memory", ""),
            }
        ),
        flush=True,
    )
    spark.stop()


if __name__ == "__main__":
    main()
