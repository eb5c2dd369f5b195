"""The training_data entry point end to end on local files: output layout, summary, bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession

from spark_jobs import io
from spark_jobs.entrypoints import training_data

from .conftest import current_dir

SEED, FRACTION = 7, 0.3


def _side(key: str) -> str:
    digest = hashlib.sha256(f"{SEED}:{key}".encode()).hexdigest()
    return "test" if int(digest[:13], 16) / 16**13 < FRACTION else "train"


def test_training_data_on_sample(
    spark: SparkSession,
    sample: tuple[str, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, pdf = sample
    out = tmp_path / "training"
    args = ["--input", data, "--output", str(out), "--seed", str(SEED), "--test-fraction", str(FRACTION)]
    code = training_data.main([*args, "--missing", "user_amount_std=constant:0", "--partition-by", "channel"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    version = current_dir(out)
    assert printed["version"] == version.name
    assert json.loads((version / "_summary.json").read_text()) == {
        k: v for k, v in printed.items() if k != "rows_written"
    }
    # Partitioned by split, then channel; the pipeline and the fill values sit next to the data.
    assert sorted(p.name for p in version.glob("split=*")) == ["split=test", "split=train"]
    assert {p.name.split("=")[0] for p in version.glob("split=*/*") if p.is_dir()} == {"channel"}
    model = PipelineModel.load(str(version / "_pipeline"))
    fills = json.loads((version / "_missing_values.json").read_text())
    assert fills["user_amount_std"] == {"policy": "constant", "fill_value": 0.0}

    # Rows, users and labels per split as hashlib and pandas compute them.
    pdf = pdf.assign(split=pdf["customer_id"].map(_side))
    for side in ("train", "test"):
        part = pdf[pdf["split"] == side]
        got = printed["splits"][side]
        assert got["rows"] == len(part) and got["users"] == part["customer_id"].nunique()
        assert got["labels"] == {str(k): int(v) for k, v in part["label"].value_counts().sort_index().items()}
    assert printed["rows_written"] == len(pdf)
    assert printed["realized_test_fraction"]["rows"] == pytest.approx((pdf["split"] == "test").mean())

    # Fill value and scaler statistics from the training rows only (pandas).
    train = pdf[pdf["split"] == "train"]
    user_mean = pdf.groupby("customer_id")["amount"].mean()
    row_means = train["customer_id"].map(user_mean)
    assert fills["user_amount_mean"]["fill_value"] == pytest.approx(row_means.mean(), rel=1e-9)
    counts = train["customer_id"].map(pdf.groupby("customer_id").size()).astype(float)
    stats = printed["scaler"]["user_txn_count"]
    assert stats["mean"] == pytest.approx(counts.mean(), rel=1e-9)
    assert stats["std"] == pytest.approx(counts.std(ddof=1), rel=1e-9)

    # The committed table reads back through the pointer with the same rows; scoring with the saved
    # pipeline reproduces the written vectors.
    table = io.read_table(spark, str(out))
    assert table.count() == len(pdf)
    rows = table.where("split = 'test'").orderBy("customer_id", "event_time").limit(20)
    rescored = model.transform(rows.drop("features")).select("features").collect()
    np.testing.assert_allclose(
        [r["features"].toArray() for r in rows.select("features").collect()],
        [r["features"].toArray() for r in rescored],
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--windows", "7days"], "window '7days' is not valid"),
        (["--test-fraction", "1.5"], "test_fraction must be a number strictly between 0 and 1, got 1.5"),
        (["--missing", "amount"], "--missing: 'amount' is not COL=POLICY"),
        (["--missing", "amount=average"], "policy for 'amount': 'average' is not valid"),
        (["--keep-versions", "0"], "--keep-versions must be an integer >= 1"),
        (["--as-of", "soon"], "--as-of must be an ISO-8601 time"),
        (["--label", "channel"], "column 'channel' has type string, expected numeric"),
        (["--partition-by", "nope"], "--partition-by: 'nope' is not a column of the output"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    sample: tuple[str, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    data, _ = sample
    out = tmp_path / "training"
    assert training_data.main(["--input", data, "--output", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
