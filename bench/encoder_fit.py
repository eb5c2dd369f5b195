"""Benchmark of encoder fitting: one pass per encoder (before) vs all encoders in one aggregation (after).

    bash jobs/scripts/in-venv.sh python ../bench/encoder_fit.py --rows 1000000 [--before-rev REV] [--repeat 3]

It generates the transactions of ``bench/features.py`` (same generator) as Parquet and times, on a
local[2] session with 8 shuffle partitions, the three encoders of that benchmark (frequency of
``category`` weighted, target mean of ``category`` m=20 weighted, rare grouping of ``channel``):

* scan: one plain scan of the columns the encoders read (``write.format("noop")``), the floor;
* before: ``categorical_encoder.py`` as of ``--before-rev`` (loaded from git), one fit call per encoder;
* after, cv=0: :meth:`CategoricalEncoder.fit_all` with the same three requests (one aggregation);
* after, cv=5: the same with cross-fitting by customer (folds from a hash of ``customer_id``).

Each is run once to warm up, then ``--repeat`` times; the table shows the best and the median wall time.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "jobs" / "src"))

from pyspark.sql import SparkSession  # noqa: E402

from spark_jobs.features.categorical_encoder import CategoricalEncoder, EncodingRequest  # noqa: E402

ENCODER_FILE = "jobs/src/spark_jobs/features/categorical_encoder.py"
READ_COLUMNS = ["customer_id", "category", "channel", "label", "weight"]


def load_module(name: str, path: Path) -> ModuleType:
    """Import a Python file as a module (the benchmark's data generator, the old encoder)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def old_encoder(rev: str, work: Path) -> ModuleType:
    """``categorical_encoder.py`` at git revision ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{ENCODER_FILE}"], cwd=HERE.parent, check=True, capture_output=True, text=True
    ).stdout
    path = work / "categorical_encoder_before.py"
    path.write_text(source)
    return load_module("categorical_encoder_before", path)


def requests(cv: int) -> list[EncodingRequest]:
    """The three encoders of bench/features.py."""
    return [
        EncodingRequest("frequency", "category", weight_col="weight"),
        EncodingRequest(
            "target_mean", "category", target_col="label", smoothing=20.0, weight_col="weight", cv=cv,
            fold_key=("customer_id",) if cv else None,
        ),
        EncodingRequest("rare", "channel", min_frequency=0.05),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--before-rev", default="cd50d17", help="git revision with one pass per encoder")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-encoders-"))
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-encoder-fit")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        generator = load_module("bench_features", HERE / "features.py")
        data = str(work / "input")
        generator.generate(spark, args.rows, data)
        before = old_encoder(args.before_rev, work)
        df = spark.read.parquet(data)

        def scan() -> None:
            df.select(*READ_COLUMNS).write.format("noop").mode("overwrite").save()

        def fit_before() -> None:
            enc = before.CategoricalEncoder()
            enc.fit_frequency(df, "category", "weight")
            enc.fit_target_mean(df, "category", "label", 20.0, "weight")
            enc.fit_rare(df, "channel", 0.05)

        def fit_after(cv: int) -> Callable[[], None]:
            def run() -> None:
                CategoricalEncoder().fit_all(df, requests(cv))

            return run

        cases = [
            ("scan of the 5 columns read", scan),
            (f"before ({args.before_rev}): 3 fits, one pass each", fit_before),
            ("after: fit_all, one aggregation, cv=0", fit_after(0)),
            ("after: fit_all, one aggregation, cv=5 by customer", fit_after(5)),
        ]
        print(f"rows: {args.rows}, local[2], 8 shuffle partitions, best / median of {args.repeat}")
        for name, fn in cases:
            fn()  # warm-up
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            print(f"{name:55s} {min(times):7.2f} s  {statistics.median(times):7.2f} s")
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
