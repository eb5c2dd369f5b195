"""The original system's documented names: thin aliases and adapters over our API, checked against
Spark's own numbers (status tracker, partition counts, plans), pandas, and the API they adapt."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.features import FeatureEngineer, FeatureValidator
from spark_jobs.features.pipeline import load_spec_text, parse_spec, run_pipeline
from spark_jobs.metrics import PerformanceProfiler, SparkExecutionMetrics
from spark_jobs.optimization import PartitionOptimizer

EXAMPLE_SPEC = Path(__file__).resolve().parents[1] / "examples" / "feature_spec.json"


def _grouped_count(spark: SparkSession) -> int:
    return spark.range(0, 4000, 1, 4).groupBy((F.col("id") % 7).alias("k")).count().count()


def test_execution_metrics_views_match_the_status_tracker(spark: SparkSession) -> None:
    metrics = SparkExecutionMetrics(spark)
    _, tracked = metrics.track_execution("grouped", _grouped_count, spark)
    metrics.track_execution("other", lambda: spark.range(10).count())
    tracker = spark.sparkContext.statusTracker()
    job_ids = sorted(tracker.getJobIdsForGroup(tracked["job_group"]))
    jobs = metrics.collect_job_metrics("grouped")
    assert sorted(j["job_id"] for j in jobs) == job_ids
    assert {j["execution"] for j in metrics.collect_job_metrics()} == {"grouped", "other"}
    stage_ids = sorted({s for j in job_ids for s in tracker.getJobInfo(j).stageIds})
    stages = metrics.get_stage_info("grouped")
    assert sorted({s["stage_id"] for s in stages}) == stage_ids
    tasks = metrics.get_task_metrics("grouped")
    for record in tasks:
        info = tracker.getStageInfo(record["stage_id"])
        if info is not None:  # still retained: Spark's own task count
            assert record["num_tasks"] == info.numTasks
        assert "executor_run_time_ms_max" in record or any(k.endswith("_max") for k in record)
    memory = metrics.get_memory_usage()
    status = spark.sparkContext._jsc.sc().getExecutorMemoryStatus()
    assert len(memory) >= status.size()
    assert all(m["storage_memory_max_bytes"] > 0 for m in memory if m["is_active"])
    assert metrics.get_spark_config()["spark.app.name"] == spark.sparkContext.appName
    with pytest.raises(
        ValueError, match="no tracked execution named 'nope'; tracked: \\['grouped', 'other'\\]"
    ):
        metrics.get_stage_info("nope")


def test_profile_operation_reads_both_ways_and_bottleneck_alias(spark: SparkSession) -> None:
    profiler = PerformanceProfiler(spark)
    profile = profiler.profile_operation("grouped", _grouped_count, spark)
    result, as_pair = profile  # today's form
    assert result == 7 and profile["result"] == 7  # the original form
    assert as_pair is profiler.profiles[-1]
    assert profile["wall_clock_ms"] == as_pair["wall_clock_ms"] and profile.get("missing", 1) == 1
    assert "result" in profile and "findings" in profile and 7 in profile and set(profile.keys()) > {"result"}
    assert profiler.identify_bottlenecks() == profiler.analyze_bottlenecks(as_pair)
    assert profiler.identify_bottlenecks(profile) == profiler.analyze_bottlenecks(as_pair)
    with pytest.raises(ValueError, match="nothing has been profiled yet"):
        PerformanceProfiler(spark).identify_bottlenecks()


def test_compare_plans_runs_each_dataframe_plan(spark: SparkSession) -> None:
    profiler = PerformanceProfiler(spark)
    narrow = spark.range(0, 20_000, 1, 3).where("id % 2 = 0")
    wide = spark.range(0, 20_000, 1, 5).groupBy((F.col("id") % 11).alias("k")).count()
    rows = profiler.compare_plans({"narrow": narrow, "wide": wide})
    assert [r["name"] for r in rows] == ["narrow", "wide"]
    # Spark's own partition counts: the narrow plan is one stage of 3 tasks; the wide one shuffles.
    assert rows[0]["num_tasks"] == narrow.rdd.getNumPartitions() == 3
    assert rows[1]["shuffle_write_bytes"] > 0 and rows[0]["shuffle_write_bytes"] == 0


def test_validator_to_dataframe(spark: SparkSession) -> None:
    validator = FeatureValidator()
    with pytest.raises(ValueError, match="call validate_features first"):
        validator.to_dataframe()
    df = spark.createDataFrame(pd.DataFrame({"x": [1.0, 2.0, 4.0, None], "y": [3.0, 3.0, 5.0, 1.0]}))
    result = validator.validate_features(df)
    pd.testing.assert_frame_equal(validator.to_dataframe(), result.to_dataframe())
    assert validator.to_dataframe().loc["y", "mean"] == pytest.approx(3.0)


def test_optimize_for_join_co_partitions_both_sides(spark: SparkSession, sql_conf) -> None:
    left = spark.range(0, 3000, 1, 6).withColumn("k", F.col("id") % 50)
    right = spark.range(0, 50, 1, 2).withColumnRenamed("id", "k").withColumn("v", F.col("k") * 10)
    with sql_conf({"spark.sql.autoBroadcastJoinThreshold": "-1", "spark.sql.adaptive.enabled": "false"}):
        a, b = PartitionOptimizer(spark).optimize_for_join(left, right, "k", target_bytes=16 * 1024)
        assert a.rdd.getNumPartitions() == b.rdd.getNumPartitions()
        joined = a.join(b, "k")
        plan = joined._jdf.queryExecution().executedPlan().toString()
        assert plan.count("Exchange hashpartitioning") == 2  # ours; the join adds none
        got = joined.select("id", "v").toPandas().sort_values("id").reset_index(drop=True)
    expected = left.toPandas().merge(right.toPandas(), on="k")[["id", "v"]].sort_values("id")
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True), check_dtype=False)
    with pytest.raises(ValueError, match="optimize_for_join right: column\\(s\\) \\['id'\\]"):
        PartitionOptimizer(spark).optimize_for_join(left, right.drop("v").withColumnRenamed("k", "x"), "id")


def test_feature_engineer_front_over_the_spec_pipeline(spark: SparkSession) -> None:
    from entrypoints.conftest import transactions, write_parquet

    pdf = transactions(3, n_customers=12)
    df = spark.read.parquet(write_parquet(spark, pdf, Path(spark.conf.get("spark.sql.warehouse.dir")) / "fe"))
    spec_text = EXAMPLE_SPEC.read_text()
    engineer = FeatureEngineer(spec_text)
    got = engineer.fit_transform(df)
    expected, _ = run_pipeline(df, parse_spec(load_spec_text(spec_text)))
    key = ["customer_id", "event_time"]
    assert got.columns == expected.columns
    assert got.orderBy(*key).collect() == expected.orderBy(*key).collect()
    counts = got.select("customer_id", "customer_txn_count").distinct().toPandas().set_index("customer_id")
    assert counts["customer_txn_count"].to_dict() == pdf.groupby("customer_id").size().to_dict()
    # transform applies the fitted encoders unchanged, like run_pipeline with them.
    applied = engineer.transform(df)
    again, _ = run_pipeline(df, engineer.spec, engineer.encoder)
    assert applied.orderBy(*key).collect() == again.orderBy(*key).collect()
    assert FeatureEngineer(json.loads(spec_text)).spec == engineer.spec
    with pytest.raises(Exception, match="call fit_transform first"):
        FeatureEngineer(spec_text).transform(df)
