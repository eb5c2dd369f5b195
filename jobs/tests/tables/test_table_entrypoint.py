"""The `table` job on Delta, Iceberg and Parquet tables, each operation against a pandas reference.

One table per format walks through merge (create, upsert, latest-by-order), update, delete, time
travel, metadata, compact and vacuum; each step's result is compared row by row with the same step
done in pandas. Bad input exits 2 and leaves the table at its version. Runs in-process on the
shared session (the table-format jars from scripts/fetch-table-jars.sh).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession

from spark_jobs.entrypoints import table
from spark_jobs.tables import formats

COLUMNS = ["id", "name", "amount", "updated"]
SCHEMA = "id long, name string, amount double, updated long"
FORMATS = ["delta", "iceberg", "parquet"]


def frame(ids: list[int], seed: int, updated: int | list[int]) -> pd.DataFrame:
    """Rows with a key, a string, a double with some nulls, and an order column."""
    rng = np.random.default_rng(seed)
    amounts = [None if rng.random() < 0.1 else float(round(rng.uniform(0, 100), 2)) for _ in ids]
    stamps = updated if isinstance(updated, list) else [updated] * len(ids)
    return pd.DataFrame(
        {"id": ids, "name": [f"n{seed}-{i}" for i in ids], "amount": amounts, "updated": stamps}
    )


def write_source(spark: SparkSession, pdf: pd.DataFrame, path: Path) -> str:
    records = [
        (int(r.id), r.name, None if pd.isna(r.amount) else float(r.amount), int(r.updated))
        for r in pdf.itertuples(index=False)
    ]
    spark.createDataFrame(records, SCHEMA).repartition(2).write.mode("overwrite").parquet(str(path))
    return str(path)


def upsert(target: pd.DataFrame, source: pd.DataFrame, order_by: str | None = None) -> pd.DataFrame:
    """The merge in pandas: per key the source row wins, or the one with the greatest ``order_by``."""
    if order_by is None:
        return pd.concat([target[~target.id.isin(source.id)], source])
    both = pd.concat([target.assign(_src=0), source.assign(_src=1)])
    both = both.sort_values([order_by, "_src"], ascending=False, kind="stable")
    return both.drop_duplicates("id", keep="first").drop(columns="_src")


def rows(pdf: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Comparable rows: sorted by key, NaN as None."""
    out = []
    for r in pdf[COLUMNS].sort_values("id").itertuples(index=False):
        out.append(
            (int(r.id), r.name, None if pd.isna(r.amount) else round(float(r.amount), 6), int(r.updated))
        )
    return out


def run(tmp: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    """Run the job in-process; returns (exit code, the summary it wrote to --metrics-output)."""
    metrics = tmp / f"metrics-{len(list(tmp.glob('metrics-*')))}.json"
    # Parquet keeps 10 versions here so the history test sees them all (a later --keep-versions wins).
    code = table.main([argv[0], "--keep-versions", "10", *argv[1:], "--metrics-output", str(metrics)])
    return code, (json.loads(metrics.read_text()) if metrics.exists() else {})


def live_files(spark: SparkSession, target: str) -> list[str]:
    """The data files of the table's current version (Iceberg scans do not list input files)."""
    ref = formats.resolve(spark, target, None)
    if ref.format == "iceberg":
        return [str(r[0]) for r in spark.sql(f"SELECT file_path FROM {ref.sql_name}.files").collect()]
    return list(formats.read(spark, ref).inputFiles())


def table_rows(spark: SparkSession, target: str) -> list[tuple[Any, ...]]:
    df = formats.read(spark, formats.resolve(spark, target, None)).toPandas()
    return rows(df)


@pytest.fixture(scope="module", autouse=True)
def jars_present(spark: SparkSession) -> None:
    jars = spark.sparkContext.getConf().get("spark.jars", "")
    assert "delta-spark" in jars and "iceberg-spark-runtime" in jars, (
        "no table-format jars in the session: fetch them once with bash scripts/fetch-table-jars.sh"
    )


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    return {}


def target_of(tmp: Path, fmt: str) -> str:
    return str(tmp / "warehouse" / "sales" / f"orders_{fmt}")


@pytest.mark.parametrize("fmt", FORMATS)
class TestOperations:
    """Ordered steps on one table per format (module state carries the pandas reference along)."""

    def test_merge_creates_then_upserts(
        self, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory, state: dict[str, Any], fmt: str
    ) -> None:
        tmp = tmp_path_factory.mktemp(f"t-{fmt}")
        target = target_of(tmp, fmt)
        first = frame(list(range(0, 40)), seed=1, updated=10)
        code, done = run(
            tmp,
            "merge",
            "--target",
            target,
            "--source",
            write_source(spark, first, tmp / "s1"),
            "--key",
            "id",
            "--format",
            fmt,
        )
        assert (code, done["rows_inserted"], done["version_before"], done.get("created")) == (
            0,
            40,
            None,
            True,
        )
        assert table_rows(spark, target) == rows(first)
        # WHEN a source with 10 existing and 15 new keys is merged
        second = frame(list(range(30, 55)), seed=2, updated=20)
        code, done = run(
            tmp,
            "merge",
            "--target",
            target,
            "--source",
            write_source(spark, second, tmp / "s2"),
            "--key",
            "id",
        )
        expected = upsert(first, second)
        assert (code, done["rows_inserted"], done["rows_updated"]) == (0, 15, 10)
        assert done["version_before"] is not None and done["version_after"] != done["version_before"]
        assert table_rows(spark, target) == rows(expected)
        # AND with --order-by, a source row older than the table's row loses (duplicates: the latest wins)
        third = frame([0, 1, 2, 50, 51, 60, 60], seed=3, updated=[5, 30, 30, 15, 25, 40, 41])
        code, done = run(
            tmp,
            "merge",
            "--target",
            target,
            "--source",
            write_source(spark, third, tmp / "s3"),
            "--key",
            "id",
            "--order-by",
            "updated",
        )
        deduped = third.sort_values("updated").drop_duplicates("id", keep="last")
        expected3 = upsert(expected, deduped, "updated")
        assert code == 0
        assert (done["rows_inserted"], done["rows_updated"]) == (1, 3)
        assert table_rows(spark, target) == rows(expected3)
        state[fmt] = {
            "tmp": tmp,
            "target": target,
            "frames": [first, expected, expected3],
            "versions": [None, None, done["version_after"]],
        }

    def test_update_and_delete_match_the_filtered_frame(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        tmp, target, current = s["tmp"], s["target"], s["frames"][-1]
        code, done = run(
            tmp,
            "update",
            "--target",
            target,
            "--set",
            "amount = amount * 2",
            "--set",
            "name = concat(name, '!')",
            "--where",
            "id % 3 = 0 AND amount > 20",
        )
        hit = (current.id % 3 == 0) & (current.amount > 20)
        updated = current.copy()
        updated.loc[hit, "amount"] = updated.loc[hit, "amount"] * 2
        updated.loc[hit, "name"] = updated.loc[hit, "name"] + "!"
        assert (code, done["rows_updated"]) == (0, int(hit.sum()))
        assert table_rows(spark, target) == rows(updated)
        code, done = run(tmp, "delete", "--target", target, "--where", "amount IS NULL OR id >= 50")
        gone = updated.amount.isna() | (updated.id >= 50)
        assert (code, done["rows_deleted"]) == (0, int(gone.sum()))
        assert table_rows(spark, target) == rows(updated[~gone])
        s["frames"] += [updated, updated[~gone]]

    def test_history_and_time_travel_give_the_frame_as_it_was(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        tmp, target = s["tmp"], s["target"]
        code, done = run(tmp, "history", "--target", target)
        commits = done["commits"]
        assert code == 0 and len(commits) >= 5
        # Newest first: the delete, the update, the three merges (Parquet keeps its last versions only).
        by_age = list(reversed(commits[:5]))
        frames = s["frames"]
        for commit, expected in zip(by_age, frames):
            out = str(tmp / f"asof-{len(list(tmp.glob('asof-*')))}")
            code, read = run(
                tmp, "read", "--target", target, "--version", str(commit["version"]), "--output", out
            )
            assert code == 0 and read["rows"] == len(expected)
            assert table_rows(spark, out) == rows(expected)
        # By timestamp: the commit of the update is the last one at its own time
        out = str(tmp / "asof-ts")
        code, _ = run(tmp, "read", "--target", target, "--timestamp", by_age[3]["timestamp"], "--output", out)
        assert code == 0 and table_rows(spark, out) == rows(frames[3])

    def test_metadata_counts_what_is_on_storage(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        code, meta = run(s["tmp"], "metadata", "--input", s["target"])
        expected = s["frames"][-1]
        assert code == 0 and meta["format"] == fmt and meta["rows"] == len(expected)
        assert [c["name"] for c in meta["schema"]] == COLUMNS
        files = live_files(spark, s["target"])
        sizes = sorted(Path(f.replace("file:", "")).stat().st_size for f in files)
        assert (meta["file_sizes"]["files"], meta["file_sizes"]["bytes"]) == (len(sizes), sum(sizes))
        assert meta["file_sizes"]["min"] == sizes[0] and meta["file_sizes"]["max"] == sizes[-1]

    def test_compact_keeps_the_rows_in_fewer_files(
        self, spark: SparkSession, sql_conf: Any, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        tmp, target = s["tmp"], s["target"]
        # GIVEN a merge written as several small files (4 shuffle partitions, not coalesced)
        extra = frame(list(range(100, 120)), seed=4, updated=50)
        with sql_conf(
            {"spark.sql.adaptive.coalescePartitions.enabled": "false", "spark.sql.shuffle.partitions": "4"}
        ):
            code, _ = run(
                tmp,
                "merge",
                "--target",
                target,
                "--source",
                write_source(spark, extra, tmp / "s4"),
                "--key",
                "id",
            )
        assert code == 0
        s["frames"].append(upsert(s["frames"][-1], extra))
        files = lambda: live_files(spark, target)  # noqa: E731
        before = len(files())
        assert before >= 2
        # WHEN it is compacted into files of up to 64 MB
        code, done = run(tmp, "compact", "--target", target, "--target-file-mb", "64")
        # THEN one file holds the same rows
        assert code == 0 and done["files_removed"] == before
        assert len(files()) == 1 == done["files_added"]
        assert table_rows(spark, target) == rows(s["frames"][-1])

    def test_vacuum_refuses_an_unsafe_retention_then_removes_old_files(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        tmp, target = s["tmp"], s["target"]
        on_disk = lambda: sorted(str(p) for p in Path(target).rglob("*.parquet") if "/." not in str(p))  # noqa: E731
        files_before = on_disk()
        if fmt == "parquet":
            code, _ = run(tmp, "vacuum", "--target", target, "--keep-versions", "1")
            assert code == 0
        else:
            # WHEN the retention is below the safe minimum without the flag: exit 2, nothing deleted
            code, _ = run(tmp, "vacuum", "--target", target, "--retention-hours", "0")
            assert code == 2 and on_disk() == files_before
            code, _ = run(tmp, "vacuum", "--target", target, "--retention-hours", "0", "--unsafe-retention")
            assert code == 0
        live = {Path(f.replace("file:", "")).resolve() for f in live_files(spark, target)}
        remaining = {Path(f).resolve() for f in on_disk()}
        # THEN the current version's files remain (Parquet: and the one kept version), the rest is gone
        assert live <= remaining and len(remaining) < len(files_before)
        if fmt != "parquet":
            assert remaining == live
        assert table_rows(spark, target) == rows(s["frames"][-1])
        assert formats.current_version(spark, formats.resolve(spark, target, None)) is not None

    def test_bad_input_exits_2_and_changes_nothing(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        tmp, target = s["tmp"], s["target"]
        ref = formats.resolve(spark, target, None)
        version = formats.current_version(spark, ref)
        source = write_source(spark, frame([1, 2], seed=9, updated=99), tmp / "bad-src")
        other = "parquet" if fmt != "parquet" else "delta"
        bad = [
            ["update", "--target", target, "--set", "amount = amount +", "--where", "id = 1"],
            ["update", "--target", target, "--set", "nope = 1", "--where", "id = 1"],
            ["delete", "--target", target, "--where", "no_such_column > 1"],
            ["delete", "--target", target, "--where", "amount + 1"],
            ["merge", "--target", target, "--source", source, "--key", "customer"],
            ["merge", "--target", target, "--source", source, "--key", "id", "--format", other],
            ["query", "--input", target, "--sql", "DROP TABLE x", "--output", str(tmp / "q-bad")],
        ]
        for argv in bad:
            code, _ = run(tmp, *argv)
            assert code == 2, argv
        assert formats.current_version(spark, ref) == version
        assert table_rows(spark, target) == rows(s["frames"][-1])

    def test_query_matches_pandas(self, spark: SparkSession, state: dict[str, Any], fmt: str) -> None:
        s = state[fmt]
        out = str(s["tmp"] / "q")
        code, done = run(
            s["tmp"],
            "query",
            "--input",
            s["target"],
            "--output",
            out,
            "--sql",
            "SELECT id % 2 AS odd, count(*) AS n, sum(amount) AS total FROM input GROUP BY 1",
        )
        assert code == 0 and done["rows"] == 2
        got = sorted(
            (int(r.odd), int(r.n), round(float(r.total), 6))
            for r in formats.read(spark, formats.resolve(spark, out, None)).collect()
        )
        ref = (
            s["frames"][-1]
            .assign(odd=lambda d: d.id % 2)
            .groupby("odd")
            .agg(n=("id", "size"), total=("amount", "sum"))
        )
        assert got == [(int(k), int(r.n), round(float(r.total), 6)) for k, r in ref.iterrows()]
