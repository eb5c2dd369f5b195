from __future__ import annotations

import os

from pyspark.sql import SparkSession


def test_session_runs_the_requested_spark_line(spark: SparkSession) -> None:
    line = os.environ.get("SPARK_LINE", "4.0")
    assert spark.version.startswith(line + "."), (spark.version, line)
    ansi = spark.conf.get("spark.sql.ansi.enabled")
    # ANSI is on by default from Spark 4.0 (SPARK-44444), off in 3.5.
    assert ansi == ("true" if line == "4.0" else "false")
    assert spark.range(10).selectExpr("sum(id)").first()[0] == 45
