"""A census of bad data inputs across the entry points (features, validate, training_data, table query).

Each case runs the entry point's ``main`` against a previous good output of the same entry point and
asserts the contract of :mod:`spark_jobs.errors`: exit code 2, one message naming the problem (and, for
an unreadable file, the file and the reader's reason, never a Java stack trace), and the previous output
untouched file for file.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.entrypoints import features, table, training_data, validate

TRENDS = {
    "time_col": "event_time",
    "group_cols": ["customer_id"],
    "trends": [{"kind": "delta", "column": "amount"}],
}
ENTRY_POINTS: dict[str, Callable[[list[str] | None], int]] = {
    "features": features.main,
    "validate": validate.main,
    "training_data": training_data.main,
    "table": table.main,
}


def _parquet_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix == ".parquet")


def _copy_without_checksums(source: str, target: Path) -> Path:
    """A copy of a Parquet directory without the local ``.crc`` files (object stores have none)."""
    shutil.copytree(source, target)
    for crc in target.glob(".*.crc"):
        crc.unlink()
    return target


@pytest.fixture(scope="module")
def inputs(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The good sample and every bad variant of it, by name."""
    data, _ = sample
    root = tmp_path_factory.mktemp("census")
    good = spark.read.parquet(data)
    paths = {"good": data}

    garbage = _copy_without_checksums(data, root / "garbage")
    _parquet_files(garbage)[0].write_bytes(b"this is not a parquet file " * 20)
    paths["garbage"] = str(garbage)

    truncated = _copy_without_checksums(data, root / "truncated")
    part = _parquet_files(truncated)[0]
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    paths["truncated"] = str(truncated)

    # Footer intact, first data pages overwritten: the schema reads, the first scan fails.
    pages = _copy_without_checksums(data, root / "pages")
    part = _parquet_files(pages)[0]
    raw = bytearray(part.read_bytes())
    raw[4:400] = b"\xff" * 396
    part.write_bytes(bytes(raw))
    paths["pages"] = str(pages)

    text_dir = root / "not-parquet"
    text_dir.mkdir()
    (text_dir / "part-00000.parquet").write_text("customer_id,amount\nc1,3\n")
    paths["not_parquet"] = str(text_dir)

    def variant(name: str, df: DataFrame) -> None:
        df.coalesce(1).write.parquet(str(root / name))
        paths[name] = str(root / name)

    variant("string_time", good.withColumn("event_time", good.event_time.cast("string")))
    variant(
        "string_time_bad_value",
        good.withColumn("event_time", good.event_time.cast("string")).union(
            good.limit(1).selectExpr(
                "customer_id",
                "'not a time' AS event_time",
                "amount",
                "category",
                "channel",
                "label",
                "weight",
            )
        ),
    )
    variant("boolean_time", good.withColumn("event_time", good.amount > 30))
    variant("string_amount", good.withColumn("amount", good.amount.cast("string")))
    variant("no_amount", good.drop("amount"))
    variant("double_category", good.withColumn("category", good.amount))
    variant("empty", good.limit(0))
    paths["absent"] = str(root / "absent")
    return paths


@pytest.fixture(scope="module")
def previous(
    spark: SparkSession, inputs: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """One committed good output per entry point: what every bad run must leave as it is."""
    root = tmp_path_factory.mktemp("previous")
    good = inputs["good"]
    outs = {name: root / name for name in ENTRY_POINTS}
    assert (
        features.main(["--input", good, "--output", str(outs["features"]), "--spec", json.dumps(TRENDS)]) == 0
    )
    assert validate.main(["--input", good, "--reference", good, "--output", str(outs["validate"])]) == 0
    assert training_data.main(["--input", good, "--output", str(outs["training_data"])]) == 0
    sql = "SELECT customer_id, amount FROM input"
    assert table.main(["query", "--input", good, "--sql", sql, "--output", str(outs["table"])]) == 0
    return outs


def _features(data: str, spec: object = TRENDS, *extra: str) -> Callable[[dict[str, str], str], list[str]]:
    def argv(p: dict[str, str], out: str) -> list[str]:
        text = spec if isinstance(spec, str) else json.dumps(spec)
        return ["--input", p[data], "--output", out, "--spec", text, *extra]

    return argv


def _validate(data: str, reference: str = "good", *extra: str) -> Callable[[dict[str, str], str], list[str]]:
    return lambda p, out: ["--input", p[data], "--reference", p[reference], "--output", out, *extra]


def _training(data: str, *extra: str) -> Callable[[dict[str, str], str], list[str]]:
    return lambda p, out: ["--input", p[data], "--output", out, *extra]


def _table(
    data: str, sql: str = "SELECT customer_id, amount FROM input"
) -> Callable[[dict[str, str], str], list[str]]:
    return lambda p, out: ["query", "--input", p[data], "--sql", sql, "--output", out]


UNREADABLE = r"cannot read input file file:\S+\.parquet: "
CASES = [
    # features: unreadable files
    ("features", _features("garbage"), UNREADABLE + r"RuntimeException: .*is not a Parquet file"),
    ("features", _features("truncated"), UNREADABLE + r"RuntimeException: .*is not a Parquet file"),
    ("features", _features("pages"), UNREADABLE),
    ("features", _features("not_parquet"), UNREADABLE + r".*is not a Parquet file"),
    # features: the time column
    (
        "features",
        _features("string_time"),
        r"time_col 'event_time' has type string, which would order rows as text",
    ),
    (
        "features",
        _features("string_time_bad_value", {**TRENDS, "time_format": "yyyy-MM-dd HH:mm:ss"}),
        r"time_col 'event_time': value 'not a time' does not parse with time_format 'yyyy-MM-dd HH:mm:ss'",
    ),
    ("features", _features("boolean_time"), r"time_col 'event_time' has type boolean; a time column must be"),
    (
        "features",
        _features("good", {**TRENDS, "time_format": ""}),
        r"time_format must be a Spark datetime pattern",
    ),
    (
        "features",
        _features(
            "good",
            {"time_format": "yyyy", "row_operations": [{"name": "a", "op": "log1p", "inputs": ["amount"]}]},
        ),
        r"time_format parses time_col; give time_col too",
    ),
    # features: columns and types
    ("features", _features("string_amount"), r"column 'amount' has type string"),
    ("features", _features("no_amount"), r"'amount'"),
    (
        "features",
        _features("double_category", {"encoders": [{"kind": "frequency", "column": "category"}]}),
        r"column 'category' has type double",
    ),
    ("features", _features("empty"), r"input: no rows"),
    ("features", _features("absent"), r"input not found: \S+absent"),
    # features: spec and options
    ("features", _features("good", "{not json"), r"feature spec is not valid JSON"),
    ("features", _features("good", {**TRENDS, "windows": 3}), r"unknown key\(s\) \['windows'\]"),
    ("features", _features("good", "/no/such/spec.json"), r"no such file: /no/such/spec\.json"),
    (
        "features",
        _features("good", TRENDS, "--keep-versions", "0"),
        r"--keep-versions must be an integer >= 1",
    ),
    ("features", _features("good", TRENDS, "--encoders", "/no/such/output"), r"no committed features output"),
    # validate
    ("validate", _validate("garbage"), UNREADABLE + r".*is not a Parquet file"),
    ("validate", _validate("good", "truncated"), UNREADABLE + r".*is not a Parquet file"),
    ("validate", _validate("good", "absent"), r"input not found: \S+absent"),
    ("validate", _validate("empty"), r"no rows"),
    ("validate", _validate("good", "good", "--bins", "1"), r"--bins must be an integer >= 2, got 1"),
    ("validate", _validate("good", "good", "--ranges", "{bad"), r"--ranges is not valid JSON"),
    (
        "validate",
        _validate("good", "good", "--keep-versions", "0"),
        r"--keep-versions must be an integer >= 1",
    ),
    # training_data
    ("training_data", _training("garbage"), UNREADABLE + r".*is not a Parquet file"),
    ("training_data", _training("absent"), r"not found: \S+absent"),
    ("training_data", _training("no_amount"), r"'amount'"),
    (
        "training_data",
        _training("good", "--as-of", "yesterday"),
        r"--as-of must be an ISO-8601 time, got 'yesterday'",
    ),
    ("training_data", _training("good", "--missing", "amount"), r"--missing: 'amount' is not COL=POLICY"),
    # table query
    ("table", _table("garbage"), UNREADABLE + r".*is not a Parquet file"),
    ("table", _table("absent"), r"input not found: \S+absent"),
]


@pytest.mark.parametrize(
    ("entry", "argv", "message"),
    CASES,
    ids=[f"{i:02d}-{entry}" for i, (entry, _argv, _message) in enumerate(CASES)],
)
def test_bad_input_exits_2_names_the_problem_and_keeps_the_previous_output(
    inputs: dict[str, str],
    previous: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    unchanged: Callable[[Path], AbstractContextManager[None]],
    entry: str,
    argv: Callable[[dict[str, str], str], list[str]],
    message: str,
) -> None:
    # GIVEN the entry point's committed previous output
    out = previous[entry]
    capsys.readouterr()
    # WHEN it runs on the bad input: THEN the previous output as it was (unchanged), exit 2,
    # one message naming the problem and no Java stack trace
    with unchanged(out):
        code = ENTRY_POINTS[entry](argv(inputs, str(out)))
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert re.search(message, err), err[-2000:]
    assert "\tat org.apache" not in err and "Py4JJavaError" not in err


def test_the_census_is_at_least_thirty_inputs_over_every_entry_point() -> None:
    assert len(CASES) >= 30
    assert {entry for entry, _argv, _message in CASES} == set(ENTRY_POINTS)
