"""``--output-format delta|iceberg`` of the features and validate jobs: one table commit per run.

Each format: the table read back equals the pandas reference, a second run is a new version while
the first stays readable by time travel, the side files are found through the commit, a run that
fails while writing leaves the table at its previous version, and a bad value or an output of
another format exits 2 before any data is read. Runs in-process on the shared session (the
table-format jars from scripts/fetch-table-jars.sh).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.entrypoints import features, validate
from spark_jobs.tables import formats, outputs

from .conftest import EXAMPLE_SPEC, transactions, write_parquet

FORMATS = ["delta", "iceberg"]
KEY = ["customer_id", "event_time"]
SQRT_SPEC = {
    "row_operations": [{"name": "amount_sqrt", "op": "sqrt", "inputs": ["amount"]}],
    "output_columns": ["customer_id", "event_time", "amount", "amount_sqrt"],
}
LOG_SPEC = {
    "row_operations": [{"name": "amount_log1p", "op": "log1p", "inputs": ["amount"]}],
    "output_columns": ["customer_id", "event_time", "amount_log1p"],
}
Unchanged = Callable[[Path], AbstractContextManager[None]]


def table_path(tmp_path: Path, name: str) -> Path:
    """``<warehouse>/<namespace>/<table>``: the layout an Iceberg path table needs (Delta takes any)."""
    return tmp_path / "wh" / "jobs" / name


def read_back(
    spark: SparkSession, target: Path, as_of: int | None = None, key: list[str] | None = None
) -> pd.DataFrame:
    """The table's rows as pandas sorted by ``key`` (``as_of``: that Delta version / Iceberg snapshot,
    read with the schema it had)."""
    ref = formats.resolve(spark, str(target), None)
    df: DataFrame
    if as_of is None:
        df = formats.read(spark, ref)
    elif ref.format == "delta":
        df = spark.read.format("delta").option("versionAsOf", as_of).load(ref.target)
    else:
        df = spark.sql(f"SELECT * FROM {ref.sql_name} VERSION AS OF {int(as_of)}")
    return df.toPandas().sort_values(key or KEY).reset_index(drop=True)


def version_of(spark: SparkSession, target: Path) -> int:
    version = formats.current_version(spark, formats.resolve(spark, str(target), None))
    assert version is not None
    return int(version)


def expected_features(pdf: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """The spec's row operation done in pandas on the sample."""
    op = spec["row_operations"][0]
    out = pdf.copy()
    out[op["name"]] = (np.sqrt if op["op"] == "sqrt" else np.log1p)(out["amount"].astype(float))
    return out[spec["output_columns"]].sort_values(KEY).reset_index(drop=True)


def assert_frames(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    got = got.assign(event_time=pd.to_datetime(got["event_time"]))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
def test_features_commit_a_table_version_per_run_matching_pandas(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path: Path, fmt: str
) -> None:
    data, pdf = sample
    out = table_path(tmp_path, "features")
    base = ["--input", data, "--output", str(out), "--output-format", fmt]
    # WHEN two runs with different specs (and schemas) write the same output
    assert features.main([*base, "--spec", json.dumps(SQRT_SPEC)]) == 0
    first = version_of(spark, out)
    assert_frames(read_back(spark, out), expected_features(pdf, SQRT_SPEC))
    assert features.main([*base, "--spec", json.dumps(LOG_SPEC), "--keep-versions", "1"]) == 0
    # THEN the table holds the second run's rows and schema; the first is one version back
    assert version_of(spark, out) != first
    assert formats.detect(spark, str(out)) == fmt
    assert_frames(read_back(spark, out), expected_features(pdf, LOG_SPEC))
    assert_frames(read_back(spark, out, as_of=first), expected_features(pdf, SQRT_SPEC))
    # AND the side files of the current version are the ones its commit names
    encoders = outputs.current_side_file(spark, str(out), features.ENCODERS_FILE)
    metrics = outputs.current_side_file(spark, str(out), "_metrics.json")
    assert encoders is not None and metrics is not None
    assert json.loads(Path(encoders).read_text()) is not None
    assert "features.write" in [e["name"] for e in json.loads(Path(metrics).read_text())["executions"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_features_reapply_the_encoders_of_a_table_output(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path: Path, fmt: str
) -> None:
    data, _ = sample
    fitted, applied = table_path(tmp_path, "fitted"), table_path(tmp_path, "applied")
    spec = str(EXAMPLE_SPEC)
    assert (
        features.main(["--input", data, "--output", str(fitted), "--spec", spec, "--output-format", fmt]) == 0
    )
    argv = ["--input", data, "--output", str(applied), "--spec", spec, "--output-format", fmt]
    assert features.main([*argv, "--encoders", str(fitted)]) == 0
    saved = outputs.current_side_file(spark, str(fitted), features.ENCODERS_FILE)
    again = outputs.current_side_file(spark, str(applied), features.ENCODERS_FILE)
    assert saved is not None and again is not None
    assert json.loads(Path(again).read_text()) == json.loads(Path(saved).read_text())


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_failing_mid_write_leaves_the_previous_table_version(
    spark: SparkSession,
    sample: tuple[str, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    data, pdf = sample
    out = table_path(tmp_path, "features")
    argv = ["--input", data, "--output", str(out), "--output-format", fmt, "--spec", json.dumps(SQRT_SPEC)]
    assert features.main(argv) == 0
    version = version_of(spark, out)
    runs = sorted(p.name for p in (out / outputs.RUNS_DIR).iterdir())
    original = features.run_pipeline

    def failing_in_the_write(*args: Any, **kwargs: Any) -> Any:
        # Rows above the median amount fail inside the write tasks: some data files get written,
        # the format's commit never happens (what a job killed mid-write leaves as well).
        (df, encoder) = original(*args, **kwargs)
        cut = float(np.nanmedian(pdf["amount"].astype(float)))
        broken = F.when(F.col("amount") > cut, F.raise_error(F.lit("simulated task failure")))
        return df.withColumn("amount_sqrt", broken.otherwise(F.col("amount_sqrt"))), encoder

    monkeypatch.setattr(features, "run_pipeline", failing_in_the_write)
    with pytest.raises(Exception, match="simulated task failure"):
        features.main(argv)
    # THEN the table is at its version with its rows, and the failed run left no side directory
    assert version_of(spark, out) == version
    assert_frames(read_back(spark, out), expected_features(pdf, SQRT_SPEC))
    assert sorted(p.name for p in (out / outputs.RUNS_DIR).iterdir()) == runs


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_output_format_or_other_format_exits_2_before_reading(
    spark: SparkSession,
    sample: tuple[str, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    unchanged: Unchanged,
    fmt: str,
) -> None:
    data, _ = sample
    table, parquet = table_path(tmp_path, "features"), tmp_path / "parquet-out"
    spec = json.dumps(SQRT_SPEC)
    assert (
        features.main(["--input", data, "--output", str(table), "--spec", spec, "--output-format", fmt]) == 0
    )
    assert features.main(["--input", data, "--output", str(parquet), "--spec", spec]) == 0
    absent = str(tmp_path / "no-such-input")
    # A bad value: argparse's usage error (exit 2), naming the option, the value and the choices.
    for main in (features.main, validate.main):
        with unchanged(table), pytest.raises(SystemExit) as exit_info:
            extra = ["--spec", spec] if main is features.main else ["--reference", data]
            main(["--input", data, "--output", str(table), *extra, "--output-format", "orc"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "--output-format: invalid choice: 'orc'" in err and "'iceberg'" in err
    # A versioned Parquet output, or a table of the other format: exit 2, checked before the
    # input is read (the input does not even exist).
    other = "iceberg" if fmt == "delta" else "delta"
    for output, wanted, message in (
        (parquet, fmt, f"is a versioned Parquet output, not a {fmt} table"),
        (table, other, f"is a {fmt} table, not a {other} table (--output-format {other})"),
    ):
        for main, extra in ((features.main, ["--spec", spec]), (validate.main, ["--reference", absent])):
            with unchanged(output):
                argv = ["--input", absent, "--output", str(output), *extra, "--output-format", wanted]
                assert main(argv) == 2
            assert message in capsys.readouterr().err


@pytest.mark.parametrize("fmt", FORMATS)
def test_validate_writes_the_report_as_a_table_matching_pandas(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path: Path, fmt: str
) -> None:
    data, pdf = sample
    shifted_pdf = transactions(7, shift=0.8)
    shifted = write_parquet(spark, shifted_pdf, tmp_path / "shifted")
    out = table_path(tmp_path, "report")
    base = ["--input", data, "--output", str(out), "--columns", "amount,weight", "--output-format", fmt]
    assert validate.main([*base, "--reference", data]) == 0
    first = version_of(spark, out)
    assert validate.main([*base, "--reference", shifted]) == 0

    def by_feature(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
        return {str(r["feature"]): r for r in frame.to_dict(orient="records")}

    now = by_feature(read_back(spark, out, key=["feature"]))
    then = by_feature(read_back(spark, out, first, key=["feature"]))
    for column in ("amount", "weight"):
        values = pdf[column].astype(float)
        for row in (now[column], then[column]):
            assert row["rows"] == len(pdf)
            assert row["missing_rate"] == pytest.approx(values.isna().mean())
            assert row["mean"] == pytest.approx(values.mean())
            assert (row["min"], row["max"]) == (values.min(), values.max())
        assert then[column]["psi"] == 0.0 and then[column]["psi_reading"] == "stable"
    # The reference's amounts were drawn from a shifted distribution: the new version reads a shift.
    assert now["amount"]["psi"] > 0.25 and now["amount"]["psi_reading"] == "shifted"
    report = outputs.current_side_file(spark, str(out), validate.REPORT_FILE)
    assert report is not None
    psi = {p["column"]: p["psi"] for p in json.loads(Path(report).read_text())["psi"]}
    assert psi == pytest.approx({c: now[c]["psi"] for c in ("amount", "weight")})
