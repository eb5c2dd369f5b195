"""What the Python benchmarks share: the generated transactions, the plain scan, the session, the timer.

Every timing is the wall clock of one run next to the CPU seconds of the whole process tree (this
process, the JVM, the Python workers): the machine may be shared, and CPU seconds stay comparable
when it is. Ratios are computed from runs side by side in one process.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

EVENTS_PER_CUSTOMER = 100


def local_session(app_name: str, driver_memory: str, shuffle_partitions: int) -> SparkSession:
    """The benchmarks' local[2] session (UTC, no UI, quiet logs)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def generate(spark: SparkSession, rows: int, path: str) -> None:
    """Write ``rows`` synthetic transactions to ``path`` as Parquet (100 events per customer)."""
    customers = max(1, rows // EVENTS_PER_CUSTOMER)
    pick = lambda values, seed: F.element_at(  # noqa: E731
        F.array(*[F.lit(v) for v in values]), (F.rand(seed) * len(values)).cast("int") + 1
    )
    df = spark.range(rows).select(
        F.concat(F.lit("c"), (F.col("id") % customers).cast("string")).alias("customer_id"),
        F.timestamp_seconds(F.lit(1_700_000_000) + F.col("id")).alias("event_time"),
        F.when(F.rand(1) < 0.05, F.lit(None))
        .otherwise(F.round(F.exp(F.randn(2) * 0.8 + 3.5), 2))
        .alias("amount"),
        F.when(F.rand(3) < 0.03, F.lit(None))
        .otherwise(pick(["food", "travel", "tech", "home", "fuel", "gifts"], 4))
        .alias("category"),
        F.when(F.rand(5) < 0.02, F.lit("phone")).otherwise(pick(["web", "app", "store"], 6)).alias("channel"),
        (F.rand(7) < 0.2).cast("int").alias("label"),
        pick([0.5, 1.0, 2.0], 8).alias("weight"),
    )
    df.write.mode("overwrite").parquet(path)


def run_scan(spark: SparkSession, path: str, work: str) -> None:
    """The floor of any job over the input: read every column once."""
    spark.read.parquet(path).write.format("noop").mode("overwrite").save()


def run_floor(spark: SparkSession, path: str, work: str) -> None:
    """The floor of a windowed pipeline: shuffle by key, sort by time, write every row once."""
    df = spark.read.parquet(path)
    df.repartition("customer_id").sortWithinPartitions("customer_id", "event_time").write.mode(
        "overwrite"
    ).parquet(work + "/floor")


def tree_cpu_seconds() -> float:
    """CPU seconds (user + system, finished children included) of this process and all its descendants.

    The JVM is a child of this process and the Python workers are children of the JVM, so this
    counts everything a run costs; unlike wall clock it barely moves when other programs load the
    machine.
    """
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent = int(fields[1])
        cpu = sum(int(v) for v in fields[11:15]) / tick  # utime, stime, cutime, cstime
        stats[int(entry)] = (parent, cpu)
    total, frontier = 0.0, [os.getpid()]
    while frontier:
        pid = frontier.pop()
        total += stats.get(pid, (0, 0.0))[1]
        frontier += [child for child, (parent, _) in stats.items() if parent == pid]
    return total


def timed(fn: Callable[..., None], *args: Any) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``fn(*args)``."""
    cpu, start = tree_cpu_seconds(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - start, tree_cpu_seconds() - cpu


def add_ratios(row: dict[str, Any], ratios: Sequence[tuple[str, str, str]]) -> None:
    """``row[label]``: wall-clock ratio top/bottom; ``row[label + "_cpu"]``: the CPU one (where both ran)."""
    for label, top, bottom in ratios:
        if top in row and bottom in row:
            row[label] = round(row[top] / row[bottom], 2)
            row[label + "_cpu"] = round(row[top + "_cpu"] / max(row[bottom + "_cpu"], 1e-9), 2)


def print_tables(results: Sequence[dict[str, Any]], tables: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Each ``(title, columns)`` as a Markdown table of ``results`` ("-" where a run was skipped)."""
    for title, columns in tables:
        print(f"\n{title}\n| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
        for row in results:
            print("| " + " | ".join(str(row.get(h, "-")) for h in columns) + " |")
