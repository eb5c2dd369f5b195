"""The `table` job on Delta, Iceberg and Parquet tables, each operation against a pandas reference.

One table per format and storage walks through merge (create, upsert, latest-by-order), update,
delete, time travel, metadata, compact and vacuum; each step's result is compared row by row with
the same step done in pandas. Bad input exits 2 and leaves the table at its version. Runs in-process
on the shared session (the table-format jars from scripts/fetch-table-jars.sh), on local paths and
on ``s3a://`` against moto's S3 server through the real S3A connector, configured as spark-deploy
renders it (the ``local_s3`` fixture of tests/conftest.py). Sources, outputs and metrics live on
the same storage as the table; what is on storage is listed independently of Spark (the local
filesystem, or boto3 against the server).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Storage:
    """Where one walkthrough's tables, sources, outputs and metrics live, and how to list them."""

    name: str
    root: str
    """A local directory, or ``s3a://bucket``."""
    files: Callable[[str], dict[str, int]]
    """Every file below a URI, ``{canonical URI: size}``, listed without Spark."""
    read_text: Callable[[str], str | None]
    canonical: Callable[[str], str]
    """A URI as :attr:`files` names it (local: the resolved path without ``file:``)."""

    def uri(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])


def local_path(uri: str) -> str:
    for prefix in ("file://", "file:"):
        if uri.startswith(prefix):
            uri = uri[len(prefix) :]
            break
    return str(Path(uri).resolve())


def local_files(uri: str) -> dict[str, int]:
    root = Path(local_path(uri))
    return {str(p): p.stat().st_size for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def local_text(uri: str) -> str | None:
    path = Path(local_path(uri))
    return path.read_text() if path.exists() else None


@pytest.fixture(scope="module", params=["local", "s3a"])
def storage(
    request: pytest.FixtureRequest, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Storage]:
    """Local paths, or a fresh bucket of the local S3 server with Spark's commits routed through the
    S3A committer as spark-deploy renders it for S3 (restored after)."""
    if request.param == "local":
        yield Storage("local", str(tmp_path_factory.mktemp("tables")), local_files, local_text, local_path)
        return
    s3 = request.getfixturevalue("local_s3")
    root = s3.bucket(f"tables-{uuid.uuid4().hex[:8]}")
    with request.getfixturevalue("session_conf")(s3.commit_settings):
        yield Storage("s3a", root, s3.objects, s3.read_text, lambda uri: uri)


def write_source(spark: SparkSession, pdf: pd.DataFrame, uri: str) -> str:
    records = [
        (int(r.id), r.name, None if pd.isna(r.amount) else float(r.amount), int(r.updated))
        for r in pdf.itertuples(index=False)
    ]
    spark.createDataFrame(records, SCHEMA).repartition(2).write.mode("overwrite").parquet(uri)
    return uri


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


RUNS = itertools.count()


def run(store: Storage, *argv: str) -> tuple[int, dict[str, Any]]:
    """Run the job in-process; returns (exit code, the summary it wrote to --metrics-output)."""
    metrics = store.uri("metrics", f"run-{next(RUNS)}.json")
    # Parquet keeps 10 versions here so the history test sees them all (a later --keep-versions wins).
    code = table.main([argv[0], "--keep-versions", "10", *argv[1:], "--metrics-output", metrics])
    text = store.read_text(metrics)
    return code, (json.loads(text) if text is not None else {})


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
def state(storage: Storage) -> dict[str, Any]:
    """The walkthrough's state per format, one per storage."""
    return {}


@pytest.mark.parametrize("fmt", FORMATS)
class TestOperations:
    """Ordered steps on one table per format and storage (module state carries the pandas reference along)."""

    def test_merge_creates_then_upserts(
        self, spark: SparkSession, storage: Storage, state: dict[str, Any], fmt: str
    ) -> None:
        tmp = storage.uri(f"t-{fmt}")
        target = f"{tmp}/warehouse/sales/orders_{fmt}"
        first = frame(list(range(0, 40)), seed=1, updated=10)
        code, done = run(
            storage,
            "merge",
            "--target",
            target,
            "--source",
            write_source(spark, first, f"{tmp}/s1"),
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
            storage,
            "merge",
            "--target",
            target,
            "--source",
            write_source(spark, second, f"{tmp}/s2"),
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
            storage,
            "merge",
            "--target",
            target,
            "--source",
            write_source(spark, third, f"{tmp}/s3"),
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
            "storage": storage,
            "tmp": tmp,
            "target": target,
            "frames": [first, expected, expected3],
            "versions": [None, None, done["version_after"]],
        }

    def test_update_and_delete_match_the_filtered_frame(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        store, target, current = s["storage"], s["target"], s["frames"][-1]
        code, done = run(
            store,
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
        code, done = run(store, "delete", "--target", target, "--where", "amount IS NULL OR id >= 50")
        gone = updated.amount.isna() | (updated.id >= 50)
        assert (code, done["rows_deleted"]) == (0, int(gone.sum()))
        assert table_rows(spark, target) == rows(updated[~gone])
        s["frames"] += [updated, updated[~gone]]

    def test_history_and_time_travel_give_the_frame_as_it_was(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        store, tmp, target = s["storage"], s["tmp"], s["target"]
        code, done = run(store, "history", "--target", target)
        commits = done["commits"]
        assert code == 0 and len(commits) >= 5
        # Newest first: the delete, the update, the three merges (Parquet keeps its last versions only).
        by_age = list(reversed(commits[:5]))
        frames = s["frames"]
        for i, (commit, expected) in enumerate(zip(by_age, frames)):
            out = f"{tmp}/asof-{i}"
            code, read = run(
                store, "read", "--target", target, "--version", str(commit["version"]), "--output", out
            )
            assert code == 0 and read["rows"] == len(expected)
            assert table_rows(spark, out) == rows(expected)
        # By timestamp: the commit of the update is the last one at its own time
        out = f"{tmp}/asof-ts"
        code, _ = run(
            store, "read", "--target", target, "--timestamp", by_age[3]["timestamp"], "--output", out
        )
        assert code == 0 and table_rows(spark, out) == rows(frames[3])

    def test_metadata_counts_what_is_on_storage(
        self, spark: SparkSession, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        store = s["storage"]
        code, meta = run(store, "metadata", "--input", s["target"])
        expected = s["frames"][-1]
        assert code == 0 and meta["format"] == fmt and meta["rows"] == len(expected)
        assert [c["name"] for c in meta["schema"]] == COLUMNS
        # The sizes of the current version's files, as storage (not Spark) lists them
        on_storage = store.files(s["target"])
        sizes = sorted(on_storage[store.canonical(f)] for f in live_files(spark, s["target"]))
        assert (meta["file_sizes"]["files"], meta["file_sizes"]["bytes"]) == (len(sizes), sum(sizes))
        assert meta["file_sizes"]["min"] == sizes[0] and meta["file_sizes"]["max"] == sizes[-1]

    def test_compact_keeps_the_rows_in_fewer_files(
        self, spark: SparkSession, sql_conf: Any, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        store, tmp, target = s["storage"], s["tmp"], s["target"]
        # GIVEN a merge written as several small files (4 shuffle partitions, not coalesced)
        extra = frame(list(range(100, 120)), seed=4, updated=50)
        with sql_conf(
            {"spark.sql.adaptive.coalescePartitions.enabled": "false", "spark.sql.shuffle.partitions": "4"}
        ):
            code, _ = run(
                store,
                "merge",
                "--target",
                target,
                "--source",
                write_source(spark, extra, f"{tmp}/s4"),
                "--key",
                "id",
            )
        assert code == 0
        s["frames"].append(upsert(s["frames"][-1], extra))
        files = lambda: live_files(spark, target)  # noqa: E731
        before = len(files())
        assert before >= 2
        # WHEN it is compacted into files of up to 64 MB
        code, done = run(store, "compact", "--target", target, "--target-file-mb", "64")
        # THEN one file holds the same rows
        assert code == 0 and done["files_removed"] == before
        assert len(files()) == 1 == done["files_added"]
        assert table_rows(spark, target) == rows(s["frames"][-1])

    def test_vacuum_refuses_an_unsafe_retention_then_removes_old_files(
        self, spark: SparkSession, sql_conf: Any, state: dict[str, Any], fmt: str
    ) -> None:
        s = state[fmt]
        store, target = s["storage"], s["target"]
        root = store.canonical(target).rstrip("/")

        def on_storage() -> list[str]:
            """The Parquet files below the table (not in hidden directories), listed without Spark."""
            return sorted(
                f for f in store.files(target) if f.endswith(".parquet") and "/." not in f[len(root) :]
            )

        files_before = on_storage()
        # Test-sized: Delta's VACUUM lists the table in this many tasks (10000 by default).
        with sql_conf({"spark.sql.sources.parallelPartitionDiscovery.parallelism": "2"}):
            if fmt == "parquet":
                code, done = run(store, "vacuum", "--target", target, "--keep-versions", "1")
                assert code == 0
            else:
                # WHEN the retention is below the safe minimum without the flag: exit 2, nothing deleted
                code, _ = run(store, "vacuum", "--target", target, "--retention-hours", "0")
                assert code == 2 and on_storage() == files_before
                code, done = run(
                    store, "vacuum", "--target", target, "--retention-hours", "0", "--unsafe-retention"
                )
                assert code == 0
        live = {store.canonical(f) for f in live_files(spark, target)}
        remaining = set(on_storage())
        gone = set(files_before) - remaining
        if fmt == "parquet":
            versions = {f[len(root) :].split("/")[2] for f in gone}
            assert done["versions_deleted"] == len(versions) >= 1
        else:
            assert done["files_deleted"] == len(gone)
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
        store, tmp, target = s["storage"], s["tmp"], s["target"]
        ref = formats.resolve(spark, target, None)
        version = formats.current_version(spark, ref)
        source = write_source(spark, frame([1, 2], seed=9, updated=99), f"{tmp}/bad-src")
        other = "parquet" if fmt != "parquet" else "delta"
        bad = [
            ["update", "--target", target, "--set", "amount = amount +", "--where", "id = 1"],
            ["update", "--target", target, "--set", "nope = 1", "--where", "id = 1"],
            ["delete", "--target", target, "--where", "no_such_column > 1"],
            ["delete", "--target", target, "--where", "amount + 1"],
            ["merge", "--target", target, "--source", source, "--key", "customer"],
            ["merge", "--target", target, "--source", source, "--key", "id", "--format", other],
            ["query", "--input", target, "--sql", "DROP TABLE x", "--output", f"{tmp}/q-bad"],
        ]
        files_before = store.files(target)
        for argv in bad:
            code, _ = run(store, *argv)
            assert code == 2, argv
        assert formats.current_version(spark, ref) == version
        assert store.files(target) == files_before, "a refused operation wrote to the table"
        assert table_rows(spark, target) == rows(s["frames"][-1])

    def test_query_matches_pandas(self, spark: SparkSession, state: dict[str, Any], fmt: str) -> None:
        s = state[fmt]
        out = f"{s['tmp']}/q"
        code, done = run(
            s["storage"],
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
