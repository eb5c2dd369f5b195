"""The validate entry point: report contents against pandas, PSI against the library call, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession

from spark_jobs.entrypoints import validate
from spark_jobs.features.feature_validator import FeatureValidator

from .conftest import current_dir, transactions, write_parquet


@pytest.fixture(scope="module")
def shifted(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    pdf = transactions(2, shift=0.7)
    pdf = pd.concat([pdf, pdf.head(5)], ignore_index=True)  # five exact duplicate rows
    return write_parquet(spark, pdf, tmp_path_factory.mktemp("current") / "transactions"), pdf


def test_report_contents(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], shifted: tuple[str, pd.DataFrame], tmp_path: Path
) -> None:
    reference, _ = sample
    current, pdf = shifted
    out = tmp_path / "report"
    code = validate.main(
        [
            "--input", current, "--reference", reference, "--output", "file://" + str(out),
            "--columns", "amount,label,category", "--bins", "5", "--ranges", '{"amount": [0, 200]}',
        ]
    )  # fmt: skip
    assert code == 0
    report = json.loads((current_dir(out) / "report.json").read_text())
    assert report["rows"] == len(pdf)
    by_name = {f["feature"]: f for f in report["features"]}
    amount = pdf["amount"].astype(float)
    assert by_name["amount"]["mean"] == pytest.approx(amount.mean(), rel=1e-9)
    assert by_name["amount"]["std"] == pytest.approx(amount.std(ddof=1), rel=1e-9)
    assert by_name["amount"]["missing_rate"] == pytest.approx(amount.isna().mean(), rel=1e-12)
    assert by_name["category"]["unique_count"] == pdf["category"].nunique()
    psi = {p["column"]: p for p in report["psi"]}
    direct = FeatureValidator().compute_psi(
        spark.read.parquet(reference), spark.read.parquet(current), "amount", 5
    )
    assert psi["amount"]["psi"] == pytest.approx(direct.psi, rel=1e-12)
    assert psi["amount"]["reading"] == "shifted"  # the lognormal moved by 0.7
    assert sum(b["actual_share"] for b in psi["amount"]["bins"]) == pytest.approx(1.0)
    assert set(psi) == {"amount", "label", "category"}
    quality = report["data_quality"]
    assert quality["duplicate_rows"] == int(pdf.duplicated().sum()) >= 5
    assert quality["ranges"]["amount"]["violations"] == int(((amount < 0) | (amount > 200)).sum())
    assert set(quality["iqr_outliers"]) == {"amount", "label"}
    metrics = json.loads((current_dir(out) / "_metrics.json").read_text())
    assert "validate.features" in [e["name"] for e in metrics["executions"]]
    assert np.isfinite(psi["label"]["psi"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--columns", "amount,ghost"], "missing column 'ghost'"),
        (["--weight-col", "category"], "column 'category' has type string, expected numeric"),
        (["--bins", "1"], "--bins must be an integer >= 2"),
        (["--ranges", "[1, 2]"], "--ranges must be a JSON object"),
    ],
)
def test_bad_input_exits_2_and_keeps_previous_report(
    sample: tuple[str, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    unchanged: Callable[[Path], AbstractContextManager[None]],
    extra: list[str],
    message: str,
) -> None:
    data, _ = sample
    out = tmp_path / "report"
    base = ["--input", data, "--reference", data, "--output", str(out), "--columns", "amount"]
    assert validate.main(base) == 0
    with unchanged(out):
        assert validate.main([*base[:-2], *extra] if extra[0] == "--columns" else [*base, *extra]) == 2
    assert message in capsys.readouterr().err
    assert json.loads((current_dir(out) / "report.json").read_text())["psi"][0]["psi"] == 0.0


def test_reads_a_versioned_features_output_and_reports_a_new_version(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spark_jobs.entrypoints import features

    data, pdf = sample
    feats, out = tmp_path / "features", tmp_path / "report"
    spec = {"row_operations": [{"name": "amount_sqrt", "op": "sqrt", "inputs": ["amount"]}]}
    assert features.main(["--input", data, "--output", str(feats), "--spec", json.dumps(spec)]) == 0
    # A stray Parquet file in the features version is not part of it: the report must not count it.
    spark.read.parquet(data).limit(3).write.mode("append").parquet(str(current_dir(feats)))
    args = [
        "--input",
        str(feats),
        "--reference",
        str(feats),
        "--output",
        str(out),
        "--columns",
        "amount_sqrt",
    ]
    assert validate.main(args) == 0
    first = current_dir(out)
    report = json.loads((first / "report.json").read_text())
    assert report["rows"] == len(pdf)
    assert report["psi"][0]["psi"] == 0.0
    assert validate.main([*args, "--keep-versions", "1"]) == 0
    assert current_dir(out) != first and (first / "report.json").exists()  # the previous one is kept
    assert validate.main([*args, "--keep-versions", "0"]) == 2
    assert "--keep-versions must be an integer >= 1" in capsys.readouterr().err
