"""A/B of how the training-data job reads its persisted rows back, side by side in one session.

    cd jobs && bash scripts/in-venv.sh python ../bench/cached_partitions.py --rows 20000 \
        [--shuffle-partitions 400] [--repeats 2]

AQE leaves the last shuffle of a cached plan at ``spark.sql.shuffle.partitions`` (Spark 3.5 always;
4.0 unless ``spark.sql.optimizer.canChangeCachedPlanOutputPartitioning``). With the 400 partitions a
tuned configuration gives a 200-core cap, every stage over the persisted rows ran 400 tasks on the
demo's 20k rows. Per repeat this times the ``training_data`` entry point with each combination of
that setting (the line's default, and true) and of ``PartitionOptimizer.persist_sized`` (on, or a
plain persist), with the AQE settings spark-deploy renders.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "jobs" / "src"))
sys.path.insert(0, str(HERE))

from _harness import generate, local_session  # noqa: E402
from pyspark import StorageLevel  # noqa: E402
from pyspark.sql import DataFrame  # noqa: E402
from training_data import run_ours  # noqa: E402

from spark_jobs.optimization.partitioning import PartitionOptimizer  # noqa: E402

CACHED_KEY = "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning"


def plain_persist(
    self: PartitionOptimizer, df: DataFrame, level: StorageLevel = StorageLevel.MEMORY_AND_DISK
) -> tuple[DataFrame, DataFrame]:
    """The job before persist_sized: persist and read back as it is."""
    persisted = df.persist(level)
    return persisted, persisted


def main() -> None:
    """Run the A/B and print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--shuffle-partitions", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    spark = local_session("bench-cached-partitions", "4g", args.shuffle_partitions)
    spark.conf.set("spark.sql.adaptive.coalescePartitions.parallelismFirst", "false")
    spark.conf.set("spark.sql.adaptive.advisoryPartitionSizeInBytes", "128m")
    default = spark.conf.get(CACHED_KEY) or "false"
    work = tempfile.mkdtemp(prefix="bench-cached-")
    generate(spark, args.rows, f"{work}/in")
    print(f"Spark {spark.version}, {args.rows} rows, {args.shuffle_partitions} shuffle partitions")
    for repeat in range(args.repeats):
        for flag in sorted({default, "true"}):
            for sized in (False, True):
                spark.conf.set(CACHED_KEY, flag)
                patch = mock.patch.object(PartitionOptimizer, "persist_sized", plain_persist)
                with patch if not sized else nullcontext():
                    started = time.perf_counter()
                    run_ours(spark, f"{work}/in", f"{work}/out-{flag}-{sized}-{repeat}")
                    took = time.perf_counter() - started
                line = f"{CACHED_KEY}={flag:5}  persist_sized={sized!s:5}  run {repeat}: {took:7.2f} s"
                print(line, flush=True)


if __name__ == "__main__":
    main()
