"""Benchmark of the feature pipeline: ours vs the naive PySpark way vs pandas vs one plain scan.

    bash jobs/scripts/in-venv.sh python ../bench/features.py --rows 1000000 10000000 \
        [--naive-max-rows 1000000] [--pandas-max-rows 2000000] [--json results.json]

Per size it generates transactions (customer_id, event_time, amount, category, channel, label,
weight; 100 events per customer) as Parquet, then times, each reading that Parquet:

* scan: one plain scan of the input (``write.format("noop")``);
* floor: the least any windowed pipeline must do with this input: shuffle by key, sort by time,
  write every row once as Parquet;
* ours: the seven trend features on two windows (14 columns, one ``compute`` call), the three
  encoders (fit + broadcast transform), the result written as Parquet, then
  ``validate_features`` over every numeric output column (two passes);
* naive: the same features the way a first PySpark attempt does it: one window expression and
  one action per feature, one groupBy/join/action per encoder, per-column actions for the
  statistics (null count, distinct count, min, max, mean, std, skewness, kurtosis, percentiles);
* pandas: the same work in pandas (groupby/rolling, map, describe-style statistics).

It uses a local[2] session with 8 shuffle partitions; every timing is wall clock of one run, next to
the CPU seconds of the whole process tree (this process, the JVM, the Python workers), which stay
comparable when other programs share the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "jobs" / "src"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _harness import (  # noqa: E402
    add_ratios,
    generate,
    local_session,
    print_tables,
    run_floor,
    run_scan,
    timed,
)
from pyspark.sql import SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from spark_jobs.features.categorical_encoder import CategoricalEncoder, EncodingRequest  # noqa: E402
from spark_jobs.features.feature_validator import FeatureValidator  # noqa: E402
from spark_jobs.features.temporal_trends import TemporalTrendFeatures, TrendFeature  # noqa: E402

WINDOWS = (5, 20)


def trend_features() -> list[TrendFeature]:
    """All seven trend kinds on two windows (delta/pct_change use them as periods)."""
    out = []
    for w in WINDOWS:
        out += [
            TrendFeature("delta", "amount", periods=w),
            TrendFeature("pct_change", "amount", periods=w),
            TrendFeature("momentum", "amount", window=w),
            TrendFeature("volatility", "amount", window=w),
            TrendFeature("trend_slope", "amount", window=w),
            TrendFeature("rolling_rank", "amount", window=w),
            TrendFeature("minmax_range", "amount", window=w),
        ]
    return out


def run_ours(spark: SparkSession, path: str, work: str) -> None:
    """Our pipeline: one trend pass, three encoders, Parquet output, two-pass validation."""
    df = spark.read.parquet(path)
    out = TemporalTrendFeatures("event_time", ["customer_id"]).compute(df, trend_features())
    enc = CategoricalEncoder()
    # One aggregation for all three fits; cv=0 is the plain m-estimate pandas computes below.
    enc.fit_all(
        df,
        [
            EncodingRequest("frequency", "category", weight_col="weight"),
            EncodingRequest(
                "target_mean", "category", target_col="label", smoothing=20.0, weight_col="weight", cv=0
            ),
            EncodingRequest("rare", "channel", min_frequency=0.05),
        ],
    )
    enc.transform(out).write.mode("overwrite").parquet(work + "/ours")
    FeatureValidator().validate_features(spark.read.parquet(work + "/ours"))


def run_naive(spark: SparkSession, path: str, work: str) -> None:
    """The naive way: one window and one action per feature, per-column statistics."""
    df = spark.read.parquet(path)
    ordered = Window.partitionBy("customer_id").orderBy("event_time")
    x = F.col("amount")
    columns: list[str] = []
    for w in WINDOWS:
        frame = ordered.rowsBetween(-(w - 1), 0)
        exprs = {
            f"delta_{w}": x - F.lag(x, w).over(ordered),
            f"pct_{w}": F.try_divide(x, F.lag(x, w).over(ordered)) - 1,
            f"mom_{w}": x - F.avg(x).over(frame),
            f"vol_{w}": F.stddev(x).over(frame),
            f"slope_{w}": F.regr_slope(x, F.unix_timestamp("event_time").cast("double")).over(frame),
            f"rank_{w}": F.percent_rank().over(ordered),  # a first attempt: not even the right rank
            f"range_{w}": F.max(x).over(frame) - F.min(x).over(frame),
        }
        for name, expr in exprs.items():
            df.withColumn(name, expr).write.format("noop").mode("overwrite").save()  # one action each
            columns.append(name)
    for key in ("category", "category", "channel"):  # frequency, target mean, rare grouping
        counts = df.groupBy(key).agg(F.count("*").alias("n"), F.avg("label").alias("m"))
        df.join(counts, key, "left").write.format("noop").mode("overwrite").save()
    stats_df = df
    for name in ("amount", "label", "weight"):
        c = F.col(name)
        stats_df.filter(c.isNull()).count()
        stats_df.select(c).distinct().count()
        stats_df.agg(F.min(c)).collect()
        stats_df.agg(F.max(c)).collect()
        stats_df.agg(F.avg(c)).collect()
        stats_df.agg(F.stddev(c)).collect()
        stats_df.agg(F.skewness(c)).collect()
        stats_df.agg(F.kurtosis(c)).collect()
        stats_df.approxQuantile(name, [0.01, 0.99], 0.001)
    # The feature columns' statistics need the features again: one window job per column.
    for w in WINDOWS:
        frame = ordered.rowsBetween(-(w - 1), 0)
        for name, expr in ((f"mom_{w}", x - F.avg(x).over(frame)), (f"vol_{w}", F.stddev(x).over(frame))):
            feat = df.withColumn(name, expr)
            feat.agg(F.avg(name), F.stddev(name)).collect()
            feat.filter(F.col(name).isNull()).count()


def run_pandas(spark: SparkSession, path: str, work: str) -> None:
    """The same features and statistics in pandas (single process)."""
    pdf = pd.read_parquet(path).sort_values(["customer_id", "event_time"], kind="stable")
    g = pdf.groupby("customer_id", sort=False)["amount"]
    out = pdf.copy()
    pos = pdf.groupby("customer_id", sort=False).cumcount().astype(float)
    for w in WINDOWS:
        out[f"delta_{w}"] = g.diff(w)
        prev = g.shift(w)
        out[f"pct_{w}"] = (pdf["amount"] / prev - 1).replace([np.inf, -np.inf], np.nan)
        roll = lambda s, mp, w=w: s.groupby(pdf["customer_id"], sort=False).rolling(w, min_periods=mp)  # noqa: E731
        out[f"mom_{w}"] = pdf["amount"] - roll(pdf["amount"], 1).mean().reset_index(level=0, drop=True)
        out[f"vol_{w}"] = roll(pdf["amount"], 2).std().reset_index(level=0, drop=True)
        mask = pdf["amount"].notna().astype(float)
        t = pos * mask
        y = pdf["amount"].fillna(0.0)
        n = roll(mask, 1).sum().reset_index(level=0, drop=True)
        st = roll(t, 1).sum().reset_index(level=0, drop=True)
        sy = roll(y, 1).sum().reset_index(level=0, drop=True)
        sty = roll(t * y, 1).sum().reset_index(level=0, drop=True)
        stt = roll(t * t, 1).sum().reset_index(level=0, drop=True)
        out[f"slope_{w}"] = ((n * sty - st * sy) / (n * stt - st * st)).where(n >= 2)
        out[f"rank_{w}"] = roll(pdf["amount"], 1).rank(pct=True).reset_index(level=0, drop=True)
        mx = roll(pdf["amount"], 1).max().reset_index(level=0, drop=True)
        mn = roll(pdf["amount"], 1).min().reset_index(level=0, drop=True)
        out[f"range_{w}"] = mx - mn
    key = pdf["category"].fillna("<null>")
    out["category_freq"] = key.map(pdf["weight"].groupby(key).sum() / pdf["weight"].sum())
    wy = pdf["weight"] * pdf["label"]
    prior = wy.sum() / pdf["weight"].sum()
    sums = pd.DataFrame({"w": pdf["weight"], "wy": wy}).groupby(pdf["category"]).sum()
    out["category_te"] = pdf["category"].map((sums["wy"] + 20 * prior) / (sums["w"] + 20)).fillna(prior)
    share = pdf["channel"].value_counts(normalize=True)
    out["channel_grouped"] = pdf["channel"].where(pdf["channel"].map(share) >= 0.05, "__OTHER__")
    numeric = out.select_dtypes("number")
    _ = pd.DataFrame(
        {
            "missing_rate": numeric.isna().mean(),
            "unique_count": numeric.nunique(),
            "min": numeric.min(),
            "max": numeric.max(),
            "mean": numeric.mean(),
            "std": numeric.std(),
            "p01": numeric.quantile(0.01),
            "p99": numeric.quantile(0.99),
            "skewness": numeric.skew(),
            "kurtosis": numeric.kurt(),
        }
    )


RATIOS = (
    ("ours_vs_floor", "ours", "floor"),
    ("ours_vs_scan", "ours", "scan"),
    ("naive_vs_ours", "naive", "ours"),
    ("pandas_vs_ours", "pandas", "ours"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--naive-max-rows", type=int, default=10_000_000, help="skip naive above this")
    parser.add_argument("--pandas-max-rows", type=int, default=10_000_000, help="skip pandas above this")
    parser.add_argument("--only", nargs="+", default=None, help="only these: scan floor ours naive pandas")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--json", default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    spark = local_session("bench-features", args.driver_memory, args.shuffle_partitions)
    results = []
    work_root = tempfile.mkdtemp(prefix="bench-features-")
    try:
        for rows in args.rows:
            path = f"{work_root}/input-{rows}"
            generate(spark, rows, path)
            row: dict[str, Any] = {"rows": rows}
            row["load_before"] = round(os.getloadavg()[0], 2)
            runs = [("scan", run_scan), ("floor", run_floor), ("ours", run_ours)]
            if rows <= args.naive_max_rows:
                runs.append(("naive", run_naive))
            if rows <= args.pandas_max_rows:
                runs.append(("pandas", run_pandas))
            if args.only:
                runs = [r for r in runs if r[0] in args.only]
            for name, fn in runs:
                wall, cpu = timed(fn, spark, path, f"{work_root}/{name}-{rows}")
                row[name], row[f"{name}_cpu"] = round(wall, 2), round(cpu, 2)
                print(f"rows={rows:>10,} {name:>6}: {wall:8.2f} s wall {cpu:8.2f} s cpu", flush=True)
            row["load_after"] = round(os.getloadavg()[0], 2)
            add_ratios(row, RATIOS)
            results.append(row)
            shutil.rmtree(path, ignore_errors=True)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    header = ["rows", "scan", "floor", "ours", "naive", "pandas", *(r[0] for r in RATIOS)]
    header += ["load_before", "load_after"]
    cpu_header = ["rows", *(f"{h}_cpu" for h in ("scan", "floor", "ours", "naive", "pandas"))]
    cpu_header += [f"{r[0]}_cpu" for r in RATIOS]
    print_tables(results, (("wall clock (s)", header), ("CPU seconds, process tree", cpu_header)))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
