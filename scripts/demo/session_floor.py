"""The JVM floor of a job run: start the session spark-submit configured and read the input once.

    spark-submit session_floor.py --input URI

The demo times this next to each entry point with the same spark-defaults.conf, so its summary can say
how much of a run is the job and how much is starting Spark.
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession


def main() -> None:
    """Read ``--input`` (Parquet) once and print its row count."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True)
    args, _ = parser.parse_known_args()
    spark = SparkSession.builder.getOrCreate()
    print(spark.read.parquet(args.input).count())
    spark.stop()


if __name__ == "__main__":
    main()
