"""The features entry point end to end on local files: output, atomic commit, bad input, script mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession

from spark_jobs.entrypoints import features
from spark_jobs.features.categorical_encoder import CategoricalEncoder
from spark_jobs.features.pipeline import load_spec_text, parse_spec

from .conftest import EXAMPLE_SPEC, current_dir

JOBS = Path(__file__).resolve().parents[2]


def _run(*args: str) -> int:
    return features.main(list(args))


def test_example_spec_on_sample_data(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path: Path
) -> None:
    data, pdf = sample
    out = tmp_path / "features"
    assert _run("--input", data, "--output", str(out), "--spec", str(EXAMPLE_SPEC)) == 0
    spec = parse_spec(load_spec_text(EXAMPLE_SPEC.read_text()))
    result = spark.read.parquet(str(current_dir(out)))
    assert result.count() == len(pdf)
    assert result.columns == [*pdf.columns, *spec.produced]
    # Reference for two features computed independently in pandas.
    got = pd.DataFrame([r.asDict() for r in result.collect()]).sort_values(["customer_id", "event_time"])
    ordered = pdf.sort_values(["customer_id", "event_time"])
    expected_delta = ordered.groupby("customer_id")["amount"].diff()
    np.testing.assert_allclose(
        got["amount_delta_1"].to_numpy(float), expected_delta.to_numpy(float), rtol=1e-9
    )
    counts = ordered.groupby("customer_id")["customer_id"].transform("size")
    assert got["customer_txn_count"].tolist() == counts.tolist()
    # Side files: the fitted encoders (reloadable) and the metrics of this run.
    encoders = CategoricalEncoder.load(spark, str(current_dir(out) / "_encoders.json"))
    assert set(encoders.fitted) == {"category_freq", "category_target_mean", "channel_grouped"}
    metrics = json.loads((current_dir(out) / "_metrics.json").read_text())
    names = [e["name"] for e in metrics["executions"]]
    assert names == ["features.validate_input", "features.fit", "features.write"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".features.")]


def test_inline_spec_csv_input_and_explicit_metrics(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path: Path
) -> None:
    data, pdf = sample
    csv = tmp_path / "csv"
    spark.read.parquet(data).write.option("header", "true").csv(str(csv))
    spec = {
        "row_operations": [{"name": "amount_sqrt", "op": "sqrt", "inputs": ["amount"]}],
        "output_columns": ["customer_id", "amount_sqrt"],
    }
    out, metrics_file = tmp_path / "out", tmp_path / "m" / "metrics.json"
    code = _run(
        "--input",
        "file://" + str(csv),
        "--input-format",
        "csv",
        "--output",
        "file://" + str(out),
        "--spec",
        json.dumps(spec),
        "--metrics-output",
        "file://" + str(metrics_file),
    )
    assert code == 0
    result = spark.read.parquet(str(current_dir(out)))
    assert result.columns == ["customer_id", "amount_sqrt"]
    expected = np.sqrt(pdf["amount"].astype(float)).dropna().sort_values().to_numpy()
    got = np.sort(np.array([r[0] for r in result.select("amount_sqrt").collect() if r[0] is not None]))
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert json.loads(metrics_file.read_text())["executions"]
    assert not (current_dir(out) / "_metrics.json").exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"trends": [{"kind": "delta", "column": "nope"}], "time_col": "event_time"},
            "missing column 'nope'",
        ),
        (
            {"trends": [{"kind": "delta", "column": "category"}], "time_col": "event_time"},
            "column 'category' has type string, expected numeric",
        ),
        (
            {
                "row_operations": [
                    {"name": "a", "op": "sqrt", "inputs": ["b"]},
                    {"name": "b", "op": "sqrt", "inputs": ["a"]},
                ]
            },
            "dependency cycle",
        ),
        ({"row_operations": [{"name": "a", "op": "sqrt", "inputs": ["ghost"]}]}, "unknown input 'ghost'"),
        ({"encoders": [{"kind": "target_mean", "column": "category"}]}, "needs 'target'"),
        (
            {"trends": [{"kind": "momentum", "column": "amount"}], "time_col": "event_time"},
            "window is required",
        ),
    ],
)
def test_bad_input_exits_2_and_keeps_previous_output(
    spark: SparkSession,
    sample: tuple[str, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    unchanged: Callable[[Path], AbstractContextManager[None]],
    spec: dict,
    message: str,
) -> None:
    data, _ = sample
    out = tmp_path / "features"
    good = {"row_operations": [{"name": "amount_sqrt", "op": "sqrt", "inputs": ["amount"]}]}
    assert _run("--input", data, "--output", str(out), "--spec", json.dumps(good)) == 0
    with unchanged(out):
        assert _run("--input", data, "--output", str(out), "--spec", json.dumps(spec)) == 2
    assert message in capsys.readouterr().err
    assert spark.read.parquet(str(current_dir(out))).columns[-1] == "amount_sqrt"


def test_empty_input_and_missing_input_fail_before_writing(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = sample
    empty = tmp_path / "empty"
    spark.read.parquet(data).limit(0).write.parquet(str(empty))
    spec = str(EXAMPLE_SPEC)
    assert _run("--input", str(empty), "--output", str(tmp_path / "o1"), "--spec", spec) == 2
    assert "no rows" in capsys.readouterr().err
    assert _run("--input", str(tmp_path / "absent"), "--output", str(tmp_path / "o2"), "--spec", spec) == 2
    assert "input not found" in capsys.readouterr().err
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_failed_write_leaves_previous_output(
    spark: SparkSession,
    sample: tuple[str, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unchanged: Callable[[Path], AbstractContextManager[None]],
) -> None:
    data, _ = sample
    out = tmp_path / "features"
    good = {"row_operations": [{"name": "amount_sqrt", "op": "sqrt", "inputs": ["amount"]}]}
    assert _run("--input", data, "--output", str(out), "--spec", json.dumps(good)) == 0

    def broken_save(self: CategoricalEncoder, spark: SparkSession, uri: str) -> str:
        raise OSError("disk full (simulated after the data files were written)")

    monkeypatch.setattr(CategoricalEncoder, "save", broken_save)
    with unchanged(out), pytest.raises(OSError, match="disk full"):
        _run("--input", data, "--output", str(out), "--spec", str(EXAMPLE_SPEC))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".features.")]


def test_runs_as_a_plain_script_file(sample: tuple[str, pd.DataFrame], tmp_path: Path) -> None:
    """EMR Serverless runs the entry point as a .py file with spark_jobs on --py-files."""
    data, pdf = sample
    out = tmp_path / "features"
    env = dict(os.environ, PYTHONPATH=str(JOBS / "src"), PYSPARK_PYTHON=sys.executable)
    script = JOBS / "src" / "spark_jobs" / "entrypoints" / "features.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--input", data, "--output", str(out), "--spec", str(EXAMPLE_SPEC)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = current_dir(out)
    assert (version / "_metrics.json").exists() and (version / "_encoders.json").exists()
    assert len(pd.read_parquet(version)) == len(pdf)
