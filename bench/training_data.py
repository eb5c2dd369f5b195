"""Benchmark of the training-data job: ours vs the same work in pandas + scikit-learn vs one plain scan.

    cd jobs && bash scripts/in-venv.sh python ../bench/training_data.py --rows 1000000 10000000 \
        [--pandas-max-rows 10000000] [--json results.json]

Per size it generates the transactions of bench/features.py (100 events per customer, Parquet), then
times, each reading that Parquet, side by side in one session:

* scan: one plain scan of the input (``write.format("noop")``), the floor of any job over it;
* ours: the ``training_data`` entry point as deployed (windows 7d and 30d x count/sum/mean/std,
  user features, hash split of users, fills and VectorAssembler + StandardScaler fitted on train,
  Parquet partitioned by split, PipelineModel and summary, versioned commit);
* frames (``--frames``): the same entry point with the windows as Spark SQL ``rangeBetween`` frames,
  the implementation before the ``mapInArrow`` kernel, for a before/after in the same run;
* pandas: the same work in pandas + scikit-learn (``groupby().rolling("7D", on=...)``, groupby user
  features, hashlib split, train-only means, ``StandardScaler``, pyarrow Parquet partitioned by split).

Wall clock of one run next to the CPU seconds of the whole process tree (this process, the JVM, the
Python workers): the machine may be shared, and CPU seconds stay comparable when it is
(bench/_harness.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "jobs" / "src"))
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from _harness import add_ratios, generate, local_session, print_tables, run_scan, timed  # noqa: E402
from pyspark.sql import DataFrame, SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from spark_jobs.entrypoints import training_data  # noqa: E402
from spark_jobs.features._checks import as_double, col  # noqa: E402
from spark_jobs.ml._params import parse_window  # noqa: E402
from spark_jobs.ml.time_windows import WINDOW_STATS, window_feature_name  # noqa: E402

WINDOWS = ("7d", "30d")
TEST_FRACTION, SEED = 0.2, 42


def run_ours(spark: SparkSession, path: str, work: str) -> None:
    """The training_data entry point, as the examples deploy it."""
    args = ["--input", path, "--output", work, "--windows", ",".join(WINDOWS), "--seed", str(SEED)]
    args += [
        "--test-fraction",
        str(TEST_FRACTION),
        "--missing",
        "user_amount_std=constant:0,user_amount_cv=constant:0",
    ]
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            code = training_data.main(args)
        finally:
            sys.stdout = stdout
    if code != 0:
        raise RuntimeError(f"training_data exited {code}")


def range_frame_windows(
    df: DataFrame,
    key_col: str,
    time_col: str,
    value_col: str,
    windows: Sequence[str] = ("7d", "30d"),
    stats: Sequence[str] = WINDOW_STATS,
) -> DataFrame:
    """The windows as the job computed them before the kernel: one Spark ``rangeBetween`` frame each."""
    with_time = df.withColumn("__t", F.unix_micros(col(time_col).cast("timestamp")))
    x, new = as_double(value_col), []
    for window in windows:
        span = parse_window(window) // timedelta(microseconds=1)
        frame = Window.partitionBy(col(key_col)).orderBy(F.col("__t")).rangeBetween(-(span - 1), 0)
        for stat in stats:
            agg = {"count": F.count, "sum": F.sum, "mean": F.avg, "std": F.stddev_samp}[stat](x).over(frame)
            new.append(
                F.when(F.col("__t").isNotNull(), agg).alias(window_feature_name(value_col, stat, window))
            )
    return with_time.select(*[col(c) for c in df.columns], *new)


def run_frames(spark: SparkSession, path: str, work: str) -> None:
    """The entry point with the windows as Spark RANGE frames (the implementation before the kernel)."""
    with mock.patch("spark_jobs.ml.training_set.time_window_features", range_frame_windows):
        run_ours(spark, path, work)


def run_pandas(spark: SparkSession, path: str, work: str) -> None:
    """The same features, split, fills and scaling in pandas + scikit-learn."""
    df = pd.read_parquet(path, columns=["customer_id", "event_time", "amount", "category", "label"])
    df = df.sort_values(["customer_id", "event_time"], kind="stable").reset_index(drop=True)
    features = []
    for w in WINDOWS:
        rolling = df.groupby("customer_id").rolling(w.upper(), on="event_time", closed="right")["amount"]
        for stat in ("count", "sum", "mean", "std"):
            name = f"amount_{stat}_{w}"
            df[name] = getattr(rolling, stat)().to_numpy()
            features.append(name)
    g = df.groupby("customer_id")
    users = pd.DataFrame(
        {
            "user_txn_count": g.size(),
            "user_amount_sum": g["amount"].sum(min_count=1),
            "user_amount_mean": g["amount"].mean(),
            "user_amount_std": g["amount"].std(),
            "user_days_active": g["event_time"].agg(lambda t: t.dt.floor("D").nunique()),
            "user_days_since_first": (df["event_time"].max() - g["event_time"].min()) / pd.Timedelta(days=1),
            "user_distinct_categories": g["category"].nunique(),
        }
    )
    counts = (
        df.dropna(subset=["category"])
        .groupby(["customer_id", "category"])
        .agg(n=("category", "size"), first=("event_time", "min"))
    )
    ranked = counts.reset_index().sort_values(["customer_id", "n", "first"], ascending=[True, False, True])
    users["user_favorite_category"] = ranked.drop_duplicates("customer_id").set_index("customer_id")[
        "category"
    ]
    users["user_amount_cv"] = (users["user_amount_std"] / users["user_amount_mean"]).where(
        users["user_amount_mean"] != 0
    )
    df = df.join(users, on="customer_id")
    features += [c for c in users.columns if c != "user_favorite_category"]
    side = {
        k: (
            "test"
            if int(hashlib.sha256(f"{SEED}:{k}".encode()).hexdigest()[:13], 16) / 16**13 < TEST_FRACTION
            else "train"
        )
        for k in users.index
    }
    df["split"] = df["customer_id"].map(side)
    train = df["split"] == "train"
    for c in ("user_amount_std", "user_amount_cv"):
        df[c] = df[c].fillna(0.0)
    fills = df.loc[train, features].mean()
    df[features] = df[features].fillna(fills)
    scaler = StandardScaler().fit(df.loc[train, features].to_numpy())
    scaled = scaler.transform(df[features].to_numpy())
    df["features"] = list(scaled)
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_to_dataset(table, work, partition_cols=["split"])


RUNS: tuple[tuple[str, Callable[[SparkSession, str, str], None]], ...] = (
    ("scan", run_scan),
    ("frames", run_frames),
    ("ours", run_ours),
    ("pandas", run_pandas),
)
RATIOS = (
    ("ours/scan", "ours", "scan"),
    ("frames/ours", "frames", "ours"),
    ("pandas/scan", "pandas", "scan"),
    ("pandas/ours", "pandas", "ours"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--pandas-max-rows", type=int, default=10_000_000, help="skip pandas above this")
    parser.add_argument("--frames", action="store_true", help="also run the RANGE-frame windows (before)")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--json", default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    spark = local_session("bench-training-data", args.driver_memory, args.shuffle_partitions)
    results: list[dict[str, Any]] = []
    work_root = tempfile.mkdtemp(prefix="bench-training-")
    try:
        for rows in args.rows:
            path = f"{work_root}/input-{rows}"
            generate(spark, rows, path)
            row: dict[str, Any] = {"rows": rows, "load_before": round(os.getloadavg()[0], 2)}
            for name, fn in RUNS:
                skipped = name == "frames" and not args.frames
                if skipped or (name == "pandas" and rows > args.pandas_max_rows):
                    continue
                wall, cpu = timed(fn, spark, path, f"{work_root}/{name}-{rows}")
                row[name], row[f"{name}_cpu"] = round(wall, 2), round(cpu, 2)
                print(f"rows={rows:>10,} {name:>6}: {wall:8.2f} s wall {cpu:8.2f} s cpu", flush=True)
                shutil.rmtree(f"{work_root}/{name}-{rows}", ignore_errors=True)
            row["load_after"] = round(os.getloadavg()[0], 2)
            add_ratios(row, RATIOS)
            results.append(row)
            shutil.rmtree(path, ignore_errors=True)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    names = [name for name, _ in RUNS]
    ratios = [label for label, _, _ in RATIOS]
    print_tables(
        results,
        (
            ("wall clock (s)", ["rows", *names, *ratios, "load_before", "load_after"]),
            (
                "CPU seconds, process tree",
                ["rows", *(f"{n}_cpu" for n in names), *(f"{r}_cpu" for r in ratios)],
            ),
        ),
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
