"""spark_jobs.io: Hadoop-FS text files, input validation and the atomic commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_jobs import io


def test_text_round_trip_through_hadoop_fs(spark: SparkSession, tmp_path: Path) -> None:
    uri = "file://" + str(tmp_path / "nested" / "a.json")
    io.write_text(spark, uri, '{"é": 1}\n')
    assert (tmp_path / "nested" / "a.json").read_text(encoding="utf-8") == '{"é": 1}\n'
    assert io.read_text(spark, uri) == '{"é": 1}\n'
    assert io.exists(spark, uri)
    io.delete(spark, str(tmp_path / "nested"))
    assert not (tmp_path / "nested").exists()
    with pytest.raises(FileNotFoundError, match="no such file"):
        io.read_text(spark, uri)


def test_validate_input_lists_every_problem(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", 1.0, "2024-01-01")], "k string, x double, t string")
    io.validate_input(df, {"k": "categorical", "x": "numeric", "t": "any"})
    with pytest.raises(io.InputDataError) as err:
        io.validate_input(df, {"k": "numeric", "ghost": "any", "t": "timestamp"}, "input")
    message = str(err.value)
    assert "column 'k' has type string, expected numeric" in message
    assert "missing column 'ghost'" in message
    assert "column 't' has type string, expected timestamp" in message
    with pytest.raises(io.InputDataError, match="input: no rows"):
        io.validate_input(df.limit(0), {"k": "any"}, "input")


def test_read_table_csv_infers_types_and_rejects_unknown(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("k,x\na,1.5\nb,2\n")
    df = io.read_table(spark, str(tmp_path / "d.csv"), "csv")
    assert dict(df.dtypes) == {"k": "string", "x": "double"}
    with pytest.raises(io.InputDataError, match="input format must be one of"):
        io.read_table(spark, str(tmp_path / "d.csv"), "orc")
    with pytest.raises(io.InputDataError, match="input not found"):
        io.read_table(spark, str(tmp_path / "nope"))


def test_commit_replaces_output_and_cleans_up(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for version in ("v1", "v2"):
        io.commit_atomically(spark, str(out), lambda t, v=version: io.write_text(spark, t + "/data.txt", v))
        assert (out / "data.txt").read_text() == version
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failed_write_keeps_previous_output(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "out"
    io.commit_atomically(spark, str(out), lambda t: io.write_text(spark, t + "/data.txt", "good"))

    def failing(target: str) -> None:
        io.write_text(spark, target + "/data.txt", "half-written")
        raise RuntimeError("executor lost")

    with pytest.raises(RuntimeError, match="executor lost"):
        io.commit_atomically(spark, str(out), failing)
    assert (out / "data.txt").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_commit_with_spark_writer_into_new_parent(spark: SparkSession, tmp_path: Path) -> None:
    out = "file://" + str(tmp_path / "a" / "b" / "table")
    df = spark.range(5)
    io.commit_atomically(spark, out, lambda t: io.write_table(df, t, "parquet"))
    assert sorted(r.id for r in spark.read.parquet(out).collect()) == [0, 1, 2, 3, 4]
    assert not io.delta_available(spark)  # the test session has no Delta jars
