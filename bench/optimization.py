"""Skew fixes and profiler overhead, measured on local Spark in one run.

Run from the repository root:

    bash jobs/scripts/in-venv.sh python ../bench/optimization.py [--rows 4000000] [--repeats 3]

(in-venv.sh runs the command inside jobs/, hence ``../bench``; SPARK_LINE=3.5 picks Spark 3.5.)

1. Skewed join: a fact table whose key 0 holds 90% of the rows joined to a 20,000-row dimension,
   broadcast disabled so Spark must shuffle both sides (the case skew hurts):
   baseline (AQE skew join off) / AQE skew settings of our configuration model / salting /
   broadcast (reference).
2. Skewed aggregation: sum, count and avg per key on the same table, plain vs two-phase salted.
3. Profiler overhead on a plain job: profile_operation vs the bare call, interleaved.

The configuration model renders spark.sql.adaptive.skewJoin.enabled=true, skewedPartitionFactor=5,
skewedPartitionThresholdInBytes=256m and advisoryPartitionSizeInBytes=128m. Those sizes target
production data; this bench shuffles tens of MB, so both byte sizes are divided by the same
factor (SCALE below) to keep their ratio to the data and to each other.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.metrics import BottleneckThresholds, PerformanceProfiler
from spark_jobs.optimization import PartitionOptimizer

SCALE = 64  # 256 MB -> 4 MB threshold, 128 MB -> 2 MB advisory
MODEL_SKEW = {
    "spark.sql.adaptive.skewJoin.enabled": "true",
    "spark.sql.adaptive.skewJoin.skewedPartitionFactor": "5",
    "spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes": str(256 * 1024 * 1024 // SCALE),
    "spark.sql.adaptive.advisoryPartitionSizeInBytes": str(128 * 1024 * 1024 // SCALE),
}
# Same advisory size (so AQE coalesces every variant alike); only skew-join handling is off.
NO_SKEW_HANDLING = {**MODEL_SKEW, "spark.sql.adaptive.skewJoin.enabled": "false"}
DIMENSION_KEYS = 20_000


def session() -> SparkSession:
    """local[2] like the tests, but with the driver memory a bench of this size needs."""
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-optimization")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "16")
        .config("spark.sql.autoBroadcastJoinThreshold", "-1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def fact(spark: SparkSession, rows: int) -> DataFrame:
    """``rows`` rows, 90% on key 0, the rest spread over DIMENSION_KEYS - 1 keys; cached once."""
    df = spark.range(rows).select(
        F.when(F.col("id") % 10 != 0, F.lit(0))
        .otherwise(F.col("id") % (DIMENSION_KEYS - 1) + 1)
        .alias("key"),
        (F.col("id") % 1000).cast("double").alias("amount"),
    )
    return df.cache()


def dimension(spark: SparkSession) -> DataFrame:
    return spark.range(DIMENSION_KEYS).select(
        F.col("id").alias("key"), (F.col("id") * 7 % 13).alias("weight")
    )


class Settings:
    """Set runtime SQL settings for one block and restore them afterwards."""

    def __init__(self, spark: SparkSession, values: dict[str, str]) -> None:
        self.spark, self.values, self.saved = spark, values, {}

    def __enter__(self) -> None:
        self.saved = {k: self.spark.conf.get(k, None) for k in self.values}
        for key, value in self.values.items():
            self.spark.conf.set(key, value)

    def __exit__(self, *_: object) -> None:
        for key, value in self.saved.items():
            self.spark.conf.unset(key) if value is None else self.spark.conf.set(key, value)


def measure(
    profiler: PerformanceProfiler, name: str, fn: Callable[[], Any], repeats: int, settings: dict[str, str]
) -> dict[str, Any]:
    """Best-of-``repeats`` wall clock, plus the busiest shuffle-reading stage of the best run.

    That stage is where key skew lands (the join or the final aggregation): its slowest task
    against its median task, and its largest shuffle read against the median one.
    """
    runs = []
    with Settings(profiler.spark, settings):
        for _ in range(repeats):
            result, profile = profiler.profile_operation(name, fn)
            runs.append((profile["wall_clock_ms"], result, profile))
    wall, result, profile = min(runs, key=lambda r: r[0])
    stages = [
        s for s in profile["stages"] if s["status"] == "COMPLETE" and s["task_run_time_ms_max"] is not None
    ]
    reduce = max(stages, key=lambda s: (s["shuffle_read_bytes"], s["task_run_time_ms_max"]))
    return {
        "variant": name,
        "best_wall_ms": round(wall),
        "all_wall_ms": [round(r[0]) for r in runs],
        "reduce_stage_tasks": reduce["num_tasks"],
        "task_ms": [reduce[f"task_run_time_ms_{s}"] for s in ("min", "median", "max")],
        "task_read_bytes": [reduce[f"task_shuffle_read_bytes_{s}"] for s in ("min", "median", "max")],
        "shuffle_write_bytes": profile["totals"]["shuffle_write_bytes"],
        "skewed_stage_found": any(f["code"] == "SKEWED_STAGE" for f in profile["findings"]),
        "result": result,
    }


def join_checksum(df: DataFrame) -> tuple:
    row = df.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("amount") * F.col("weight")).alias("s")).first()
    return (row["n"], row["s"])


def bench_join(profiler: PerformanceProfiler, facts: DataFrame, dims: DataFrame, repeats: int) -> list[dict]:
    optimizer = PartitionOptimizer(profiler.spark)
    variants = [
        (
            "join: baseline (sort-merge, AQE skew join off)",
            lambda: join_checksum(facts.join(dims, "key")),
            NO_SKEW_HANDLING,
        ),
        ("join: AQE skew settings (model, /64)", lambda: join_checksum(facts.join(dims, "key")), MODEL_SKEW),
        (
            "join: salted (16 salts, AQE skew join off)",
            lambda: join_checksum(optimizer.salted_join(facts, dims, "key", num_salts=16)),
            NO_SKEW_HANDLING,
        ),
        (
            "join: broadcast dimension (reference)",
            lambda: join_checksum(facts.join(F.broadcast(dims), "key")),
            {},
        ),
    ]
    return [measure(profiler, name, fn, repeats, settings) for name, fn, settings in variants]


def agg_checksum(df: DataFrame) -> tuple:
    row = df.agg(F.sum("total"), F.sum("rows"), F.sum("mean")).first()
    return (round(row[0], 3), row[1], round(row[2], 6))


def bench_aggregation(profiler: PerformanceProfiler, facts: DataFrame, repeats: int) -> list[dict]:
    optimizer = PartitionOptimizer(profiler.spark)
    specs = {"total": ("sum", "amount"), "rows": ("count", "*"), "mean": ("avg", "amount")}

    def plain() -> tuple:
        out = facts.groupBy("key").agg(
            F.sum("amount").alias("total"), F.count(F.lit(1)).alias("rows"), F.avg("amount").alias("mean")
        )
        return agg_checksum(out)

    def salted() -> tuple:
        return agg_checksum(optimizer.salted_aggregate(facts, "key", specs, num_salts=16, seed=1))

    return [
        measure(profiler, "aggregation: plain groupBy", plain, repeats, MODEL_SKEW),
        measure(profiler, "aggregation: two-phase salted (16 salts)", salted, repeats, MODEL_SKEW),
    ]


def bench_overhead(spark: SparkSession, pairs: int) -> dict[str, Any]:
    """Interleave bare and profiled runs of the same job; compare medians."""
    profiler = PerformanceProfiler(spark)

    def job() -> int:
        df = spark.range(0, 60_000_000, numPartitions=4)
        return df.groupBy((F.col("id") % 1000).alias("k")).agg(F.sum("id")).count()

    job()  # warm-up (JIT, class loading)
    bare, profiled, added = [], [], []
    for _ in range(pairs):
        start = time.perf_counter()
        job()
        bare.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        _, profile = profiler.profile_operation("overhead", job)
        profiled.append((time.perf_counter() - start) * 1000)
        # The profiler's own time: everything around the tracked call (set-up and collection).
        added.append(profiled[-1] - profile["wall_clock_ms"])
    bare_median, profiled_median = statistics.median(bare), statistics.median(profiled)
    return {
        "pairs": pairs,
        "bare_median_ms": round(bare_median),
        "profiled_median_ms": round(profiled_median),
        "overhead_ms": round(profiled_median - bare_median),
        "overhead_pct": round((profiled_median - bare_median) / bare_median * 100, 2),
        "profiler_own_ms_median": round(statistics.median(added)),
        "profiler_own_pct_of_bare": round(statistics.median(added) / bare_median * 100, 2),
        "bare_ms": [round(v) for v in bare],
        "profiled_ms": [round(v) for v in profiled],
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| variant | best wall ms (all runs) | reduce stage: tasks; task ms min / median / max "
        "| task shuffle read B min / median / max | shuffle write B | SKEWED_STAGE | result (checksum) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['best_wall_ms']} ({', '.join(map(str, r['all_wall_ms']))}) "
            f"| {r['reduce_stage_tasks']}; {' / '.join(f'{v:.0f}' for v in r['task_ms'])} "
            f"| {' / '.join(f'{v:.0f}' for v in r['task_read_bytes'])} "
            f"| {r['shuffle_write_bytes']} "
            f"| {'yes' if r['skewed_stage_found'] else 'no'} | {r['result']} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run the three benches and print Markdown tables plus a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--overhead-pairs", type=int, default=7)
    args = parser.parse_args()
    spark = session()
    # The profiler judges skew like the model's AQE settings: factor 5, threshold scaled by SCALE.
    thresholds = BottleneckThresholds(
        skew_ratio=5, skew_min_task_ms=1_000, skew_min_partition_bytes=256 * 1024 * 1024 // SCALE
    )
    profiler = PerformanceProfiler(spark, thresholds)
    facts, dims = fact(spark, args.rows), dimension(spark)
    facts.count()
    joins = bench_join(profiler, facts, dims, args.repeats)
    aggregations = bench_aggregation(profiler, facts, args.repeats)
    overhead = bench_overhead(spark, args.overhead_pairs)
    print(
        f"Spark {spark.version}, rows={args.rows}, repeats={args.repeats}, shuffle partitions 16, local[2]\n"
    )
    print(table(joins) + "\n")
    print(table(aggregations) + "\n")
    o = overhead
    print(
        f"Profiler overhead: bare median {o['bare_median_ms']} ms, "
        f"profiled median {o['profiled_median_ms']} ms, "
        f"overhead {o['overhead_ms']} ms = {o['overhead_pct']}% ({o['pairs']} interleaved pairs; "
        f"bare {o['bare_ms']}, profiled {o['profiled_ms']}); time spent in the profiler itself "
        f"(profiled call minus the tracked wall clock): median {o['profiler_own_ms_median']} ms = "
        f"{o['profiler_own_pct_of_bare']}% of the bare median"
    )
    print(json.dumps({"joins": joins, "aggregations": aggregations, "overhead": overhead}, default=str))
    spark.stop()


if __name__ == "__main__":
    main()
