"""spark_jobs.io: Hadoop-FS text files, input validation and the atomic commit."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from spark_jobs import io, versioned


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


def _pointer(out: Path) -> dict:
    return json.loads((out / "_latest.json").read_text())


def _versions(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "_versions").iterdir())


def test_commit_writes_a_new_version_and_flips_the_pointer(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "out"
    inodes = []
    for text in ("v1", "v2"):
        io.commit_atomically(
            spark, str(out), lambda t, v=text: io.write_text(spark, t + "/data.txt", v), data_format=None
        )
        pointer = _pointer(out)
        assert (out / "_versions" / pointer["version"] / "data.txt").read_text() == text
        assert pointer["files"] == [{"path": f"_versions/{pointer['version']}/data.txt", "size": 2}]
        inodes.append((out / "_latest.json").stat().st_ino)
    # The pointer was replaced by a rename (a new inode), never rewritten in place; no temp file is left.
    assert inodes[0] != inodes[1]
    assert sorted(p.name for p in out.iterdir()) == ["_latest.json", "_versions"]
    assert len(_versions(out)) == 2
    assert _pointer(out)["history"] == list(reversed(_versions(out)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failed_write_keeps_previous_output(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = lambda t: io.write_text(spark, t + "/data.txt", "good")  # noqa: E731
    io.commit_atomically(spark, str(out), good, data_format=None)
    before = (out / "_latest.json").read_text()

    def failing(target: str) -> None:
        io.write_text(spark, target + "/data.txt", "half-written")
        raise RuntimeError("executor lost")

    with pytest.raises(RuntimeError, match="executor lost"):
        io.commit_atomically(spark, str(out), failing, data_format=None)
    assert (out / "_latest.json").read_text() == before
    assert _versions(out) == [json.loads(before)["version"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_parquet_version_records_rows_schema_and_reads_exactly_its_files(
    spark: SparkSession, tmp_path: Path
) -> None:
    out = "file://" + str(tmp_path / "a" / "b" / "table")
    first = io.commit_atomically(spark, out, lambda t: io.write_table(spark.range(5), t, "parquet"))
    second = io.commit_atomically(spark, out, lambda t: io.write_table(spark.range(10, 13), t, "parquet"))
    assert sorted(r.id for r in io.read_table(spark, out).collect()) == [10, 11, 12]
    assert sorted(r.id for r in io.read_latest(spark, out).collect()) == [10, 11, 12]
    assert sorted(r.id for r in io.read_version(spark, out, first.version).collect()) == [0, 1, 2, 3, 4]
    assert versioned.list_versions(spark, out) == [second.version, first.version]
    # Independently of Spark: pyarrow reads the files the pointer names, and the pointer's counts match.
    root = tmp_path / "a" / "b" / "table"
    pointer = _pointer(root)
    table = pa.concat_tables([pq.read_table(root / f["path"]) for f in pointer["files"]])
    assert sorted(table.column("id").to_pylist()) == [10, 11, 12]
    assert pointer["rows"] == 3 and pointer["data_format"] == "parquet"
    assert [f["name"] for f in json.loads(pointer["schema"])["fields"]] == ["id"]
    assert all((root / f["path"]).stat().st_size == f["size"] for f in pointer["files"])
    assert "_versions/" + second.version + "/_SUCCESS" in [f["path"] for f in pointer["side_files"]]
    # A stray file dropped into the current version is not read: readers take exactly the named files.
    pq.write_table(pa.table({"id": [99]}), root / "_versions" / second.version / "stray.parquet")
    assert sorted(r.id for r in io.read_table(spark, out).collect()) == [10, 11, 12]
    with pytest.raises(FileNotFoundError, match="no committed version 'nope'"):
        io.read_version(spark, out, "nope")
    # The test session loads the table-format jars (scripts/fetch-table-jars.sh) with Delta's extension.
    assert io.delta_available(spark)


def test_empty_version_reads_as_empty_table_with_its_schema(spark: SparkSession, tmp_path: Path) -> None:
    out = str(tmp_path / "empty")
    io.commit_atomically(spark, out, lambda t: io.write_table(spark.range(3).limit(0), t, "parquet"))
    df = io.read_table(spark, out)
    assert df.columns == ["id"] and df.count() == 0
    assert _pointer(tmp_path / "empty")["rows"] == 0


def test_plain_parquet_directories_still_read(spark: SparkSession, tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "part-0.parquet")
    assert sorted(r.x for r in io.read_table(spark, str(tmp_path)).collect()) == [1, 2]


def test_cleanup_keeps_the_current_and_previous_versions_and_newer_unfinished_runs(
    spark: SparkSession, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    def commit(text: str) -> str:
        write = lambda t: io.write_text(spark, t + "/d.txt", text)  # noqa: E731
        return io.commit_atomically(spark, str(out), write, data_format=None, keep_versions=1).version

    v1 = commit("1")
    abandoned_old = versioned.new_version_id()  # a run killed before publishing, older than v2
    (out / "_versions" / abandoned_old).mkdir()
    v2 = commit("2")
    assert _versions(out) == sorted([v1, abandoned_old, v2])  # v1 is the previous version: kept
    abandoned_new = versioned.new_version_id()  # killed between v2 and v3
    (out / "_versions" / abandoned_new).mkdir()
    v3 = commit("3")
    # Kept: v3 (current) and v2 (a reader may have just resolved it); deleted: what sorts before v2.
    assert _versions(out) == sorted([v2, abandoned_new, v3])
    assert _pointer(out)["history"][:3] == [v3, v2, v1]
    assert (out / "_versions" / v3 / "d.txt").read_text() == "3"
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match=f"keep_versions must be an integer >= 1.*got {bad!r}"):
            io.commit_atomically(spark, str(out), lambda t: None, data_format=None, keep_versions=bad)  # type: ignore[arg-type]
    assert _pointer(out)["version"] == v3
