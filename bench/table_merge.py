"""Bench: one merge (upsert) of S source rows into a T-row table, Delta vs Iceberg vs the Parquet rewrite.

    cd jobs && bash scripts/in-venv.sh python ../bench/table_merge.py \
        --target-rows 10000000 --source-rows 1000000

Each format gets the same target (T rows sorted by ``id``, in ``--files`` files) and the same source
(half updates of existing keys, half new keys), merged by ``spark_jobs.tables.merge`` exactly as the
``table merge`` job does. Two update patterns: ``clustered`` (the updated keys are the newest 5% of
ids, as in a nightly upsert of recent records) and ``spread`` (updated keys drawn over the whole
table). Reported per format: wall and CPU seconds (the whole process tree: this machine is shared,
CPU seconds move less with load) and the bytes of data files the commit added (what it rewrote),
from the table's file list before and after. Needs the table-format jars (scripts/fetch-table-jars.sh).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs import versioned
from spark_jobs.tables import formats, merge

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_spec = importlib.util.spec_from_file_location("bench_features", HERE / "features.py")
assert _spec and _spec.loader
_features = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_features)
timed = _features.timed

FORMATS = ("delta", "iceberg", "parquet")


def _jars() -> list[str]:
    import pyspark

    line = ".".join(pyspark.__version__.split(".")[:2])
    return sorted(str(p) for p in (ROOT / ".tools" / "table-jars" / line).glob("*.jar"))


def session(driver_memory: str, partitions: int) -> SparkSession:
    jars = _jars()
    if not jars:
        raise SystemExit("no table-format jars: bash scripts/fetch-table-jars.sh")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.jars", ",".join(jars))
        .config(
            "spark.sql.extensions",
            "io.delta.sql.DeltaSparkSessionExtension,org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        )
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def target_frame(spark: SparkSession, rows: int, files: int) -> DataFrame:
    return (
        spark.range(rows)
        .select(
            F.col("id"),
            (F.rand(1) * 1000).alias("amount"),
            F.concat(F.lit("c"), (F.col("id") % 97).cast("string")).alias("category"),
            F.lit(1).cast("long").alias("updated"),
        )
        .repartitionByRange(files, "id")
        .sortWithinPartitions("id")
    )


def source_frame(spark: SparkSession, target_rows: int, rows: int, pattern: str) -> DataFrame:
    updates = rows // 2
    if pattern == "clustered":
        updated_ids = spark.range(target_rows - max(updates, target_rows // 20), target_rows).limit(updates)
    else:
        step = max(1, target_rows // updates)
        updated_ids = spark.range(0, target_rows, step).limit(updates)
    new_ids = spark.range(target_rows, target_rows + (rows - updates))
    return updated_ids.unionByName(new_ids).select(
        F.col("id"),
        (F.rand(2) * 1000).alias("amount"),
        F.concat(F.lit("c"), (F.col("id") % 97).cast("string")).alias("category"),
        F.lit(2).cast("long").alias("updated"),
    )


def live_files(spark: SparkSession, ref: formats.TableRef) -> dict[str, int]:
    """Data file -> size of the table's current version."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    if ref.format == "iceberg":
        rows = spark.sql(f"SELECT file_path, file_size_in_bytes FROM {ref.sql_name}.files").collect()
        return {str(r[0]): int(r[1]) for r in rows}
    if ref.format == "parquet":
        info = versioned.current_version(spark, ref.target)
        assert info is not None
        return {f["path"]: int(f["size"]) for f in info.files}
    out = {}
    for uri in spark.read.format("delta").load(ref.target).inputFiles():
        path = jvm.org.apache.hadoop.fs.Path(uri)
        out[str(uri)] = int(path.getFileSystem(conf).getFileStatus(path).getLen())
    return out


def create(spark: SparkSession, fmt: str, target: str, df: DataFrame) -> formats.TableRef:
    ref = formats.resolve(spark, target, fmt, must_exist=False)
    if fmt == "delta":
        df.write.format("delta").save(target)
    elif fmt == "iceberg":
        df.writeTo(ref.sql_name).using("iceberg").create()
    else:
        versioned.commit_version(spark, target, lambda d: df.write.parquet(d))
    return formats.resolve(spark, target, fmt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target-rows", type=int, default=10_000_000)
    parser.add_argument("--source-rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=20, help="data files of the target")
    parser.add_argument("--patterns", nargs="+", default=["clustered", "spread"])
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    spark = session(args.driver_memory, args.shuffle_partitions)
    print(json.dumps({"spark": spark.version, "jars": [Path(j).name for j in _jars()]}), flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-table-merge-"))
    source_path = str(work / "source")
    results: list[dict[str, Any]] = []
    try:
        for pattern in args.patterns:
            shutil.rmtree(source_path, ignore_errors=True)
            source_frame(spark, args.target_rows, args.source_rows, pattern).write.parquet(source_path)
            for fmt in FORMATS:
                target = str(work / "wh" / pattern / f"orders_{fmt}")
                ref = create(spark, fmt, target, target_frame(spark, args.target_rows, args.files))
                before = live_files(spark, ref)
                source = spark.read.parquet(source_path)
                summary: dict[str, Any] = {}

                def run(ref: formats.TableRef = ref, source: DataFrame = source, out: dict = summary) -> None:
                    out.update(merge.merge(spark, ref, source, ["id"]))

                wall, cpu = timed(run)
                after = live_files(spark, ref)
                added = {f: s for f, s in after.items() if f not in before}
                row = {
                    "pattern": pattern,
                    "format": fmt,
                    "wall_s": round(wall, 2),
                    "cpu_s": round(cpu, 2),
                    "rows_inserted": summary["rows_inserted"],
                    "rows_updated": summary["rows_updated"],
                    "table_bytes_before": sum(before.values()),
                    "bytes_rewritten": sum(added.values()),
                    "files_before": len(before),
                    "files_added": len(added),
                }
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        spark.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
