"""Two merges into one Delta table at once: one commits, the other fails clearly; no row lost or doubled.

Merge A's source passes through a Python UDF that blocks (in the Python worker) until the test
releases it, so A has started its transaction and read the table when merge B commits. A's commit
must then be refused by Delta's conflict check; its re-run applies on top of B.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType

from spark_jobs.entrypoints import table
from spark_jobs.tables import formats, merge
from spark_jobs.tables.errors import TableConflictError


def blocking_identity(started: str, release: str) -> Any:
    """A UDF returning its input that, in the worker, marks ``started`` and waits for ``release``."""

    def pass_through(value: float | None) -> float | None:
        Path(started).touch()
        deadline = time.time() + 600  # a loaded machine: B's whole merge runs meanwhile
        while not Path(release).exists() and time.time() < deadline:
            time.sleep(0.05)
        return value

    return F.udf(pass_through, DoubleType())


def pdf_rows(pdf: pd.DataFrame) -> list[tuple[int, float]]:
    return sorted((int(r.id), float(r.amount)) for r in pdf.itertuples(index=False))


def test_concurrent_merges_one_commits_the_other_fails(spark: SparkSession, tmp_path: Path) -> None:
    target = str(tmp_path / "orders")
    base = pd.DataFrame({"id": range(20), "amount": [float(i) for i in range(20)]})
    spark.createDataFrame(base).write.format("delta").save(target)
    a = pd.DataFrame({"id": [5, 6, 30], "amount": [500.0, 600.0, 3000.0]})
    b = pd.DataFrame({"id": [6, 7, 40], "amount": [-6.0, -7.0, -40.0]})
    started, release = str(tmp_path / "a-started"), str(tmp_path / "a-release")
    gate = blocking_identity(started, release)
    # One partition: A's blocked task holds one of the two task slots, B's merge runs on the other.
    source_a = spark.createDataFrame(a).coalesce(1).withColumn("amount", gate("amount"))
    outcome: dict[str, Any] = {}

    def merge_a() -> None:
        try:
            outcome["a"] = merge.merge(spark, formats.resolve(spark, target, None), source_a, ["id"])
        except Exception as exc:  # the conflict is the expected outcome; kept for the assertions
            outcome["a_error"] = exc

    thread = threading.Thread(target=merge_a)
    thread.start()
    # WHEN merge B commits while A is inside its MERGE (its source rows are being read)
    deadline = time.time() + 120
    while not Path(started).exists() and time.time() < deadline and thread.is_alive():
        time.sleep(0.05)
    assert Path(started).exists(), outcome
    b_path = str(tmp_path / "b")
    spark.createDataFrame(b).write.parquet(b_path)
    assert table.main(["merge", "--target", target, "--source", b_path, "--key", "id"]) == 0
    Path(release).touch()
    thread.join(180)
    # THEN A fails with the format's conflict, said clearly, and committed nothing
    error = outcome.get("a_error")
    assert isinstance(error, TableConflictError), outcome
    assert "another writer committed" in str(error) and "Concurrent" in str(error)
    after_b = pd.concat([base[~base.id.isin(b.id)], b])
    read = lambda: pdf_rows(spark.read.format("delta").load(target).toPandas())  # noqa: E731
    assert read() == pdf_rows(after_b)
    # AND A run again applies on top of B: every key once, A's rows winning where they overlap
    a_path = str(tmp_path / "a")
    spark.createDataFrame(a).write.parquet(a_path)
    assert table.main(["merge", "--target", target, "--source", a_path, "--key", "id"]) == 0
    assert read() == pdf_rows(pd.concat([after_b[~after_b.id.isin(a.id)], a]))


def test_the_entry_point_exits_3_on_a_conflict(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The conflict error maps to exit code 3 with the message on stderr (not exit 1 with a trace)."""

    def conflicting(*_: Any) -> Any:
        raise TableConflictError("x: another writer committed to this delta table")

    monkeypatch.setattr(table, "run", conflicting)
    assert table.main(["history", "--target", str(tmp_path / "t")]) == table.EXIT_CONFLICT
