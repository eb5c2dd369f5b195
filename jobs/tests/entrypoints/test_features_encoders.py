"""Fit once, apply many: the features job with ``--encoders`` and cross-fitted target means."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession

from spark_jobs.entrypoints import features
from spark_jobs.features.categorical_encoder import fold_expression

from .conftest import EXAMPLE_SPEC, current_dir, transactions, write_parquet


def _run(*args: str) -> int:
    return features.main(list(args))


def _collect(spark: SparkSession, path: Path) -> pd.DataFrame:
    rows = [r.asDict() for r in spark.read.parquet(str(path)).collect()]
    return pd.DataFrame(rows).sort_values(["customer_id", "event_time"], kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted_run(
    spark: SparkSession, sample: tuple[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """The example spec fitted on the sample: (input, output)."""
    data, _ = sample
    out = tmp_path_factory.mktemp("fit") / "features"
    assert _run("--input", data, "--output", str(out), "--spec", str(EXAMPLE_SPEC)) == 0
    return data, out


def test_fit_run_gives_training_rows_out_of_fold_target_means(
    spark: SparkSession, fitted_run: tuple[str, Path]
) -> None:
    data, out = fitted_run
    saved = json.loads((current_dir(out) / "_encoders.json").read_text())
    te = next(e for e in saved["encodings"] if e["output_col"] == "category_target_mean")
    assert te["params"]["cv"] == 5 and te["params"]["fold_key"] == ["customer_id"]
    folds = spark.read.parquet(data).select("customer_id", fold_expression(te["params"]).alias("fold"))
    fold_of = {r["customer_id"]: r["fold"] for r in folds.distinct().collect()}
    got = _collect(spark, current_dir(out))
    # pandas reference: fold k gets the weighted m-estimate (m=20) fitted on the other folds.
    src = got.assign(fold=got["customer_id"].map(fold_of))
    expected = pd.Series(np.nan, index=src.index)
    for k in range(5):
        train, test = src[src["fold"] != k], src["fold"] == k
        prior = (train["weight"] * train["label"]).sum() / train["weight"].sum()
        g = pd.DataFrame(
            {"c": train["category"], "w": train["weight"], "wy": train["weight"] * train["label"]}
        )
        g = g.groupby("c").sum()
        expected[test] = src.loc[test, "category"].map((g["wy"] + 20 * prior) / (g["w"] + 20)).fillna(prior)
    np.testing.assert_allclose(
        got["category_target_mean"].to_numpy(float), expected.to_numpy(float), rtol=1e-9
    )


def test_encoders_of_an_earlier_run_are_applied_unchanged_to_new_data(
    spark: SparkSession, fitted_run: tuple[str, Path], tmp_path: Path
) -> None:
    _, fit_out = fitted_run
    saved = json.loads((current_dir(fit_out) / "_encoders.json").read_text())
    # New data: another period, drifted, and without the label or weights (scoring data).
    new_pdf = transactions(5, n_customers=30, shift=0.4)
    new_pdf.loc[new_pdf.index[:3], "category"] = "brand-new"
    full = write_parquet(spark, new_pdf, tmp_path / "new-full")
    new_input = str(tmp_path / "new")
    spark.read.parquet(full).drop("label", "weight").write.parquet(new_input)
    out = tmp_path / "applied"
    args = ["--input", new_input, "--output", str(out), "--spec", str(EXAMPLE_SPEC)]
    assert _run(*args, "--encoders", str(fit_out)) == 0
    got = _collect(spark, current_dir(out))
    assert len(got) == len(new_pdf)
    # Reference: the saved JSON mappings applied in pandas (null and unseen as documented).
    by_name = {e["output_col"]: e for e in saved["encodings"]}
    category = got["category"].astype(object).where(got["category"].notna(), None)

    def lookup(name: str, values: pd.Series) -> list[object]:
        e = by_name[name]
        table = {k: v for k, v in zip(e["categories"], e["values"])}
        return [table.get(v, e["unseen_value"]) for v in values]

    freq = by_name["category_freq"]
    expected_freq = [
        dict(zip(freq["categories"], freq["values"])).get(v, 0.0) if v != "brand-new" else 0.0
        for v in category
    ]
    np.testing.assert_allclose(got["category_freq"].to_numpy(float), expected_freq, rtol=1e-12)
    te = by_name["category_target_mean"]
    expected_te = [
        te["unseen_value"] if v is None else lookup("category_target_mean", pd.Series([v]))[0]
        for v in category
    ]
    np.testing.assert_allclose(got["category_target_mean"].to_numpy(float), expected_te, rtol=1e-12)
    assert got["category_target_mean"].nunique() <= len(te["categories"]) + 1  # full mapping, no folds
    assert list(got["channel_grouped"]) == lookup("channel_grouped", got["channel"])
    # The applied run carries the same encoders, so it can be applied again.
    again = json.loads((current_dir(out) / "_encoders.json").read_text())
    assert again == saved
    # The file form of --encoders gives the same output.
    out2 = tmp_path / "applied-file"
    encoders_file = "file://" + str(current_dir(fit_out) / "_encoders.json")
    assert (
        _run(
            "--input",
            new_input,
            "--output",
            str(out2),
            "--spec",
            str(EXAMPLE_SPEC),
            "--encoders",
            encoders_file,
        )
        == 0
    )
    pd.testing.assert_frame_equal(_collect(spark, current_dir(out2)), got)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["encoders"][1].update(smoothing=5),
            "'category_target_mean': smoothing 5.0 in the spec, 20.0",
        ),
        (lambda s: s["encoders"].pop(0), r"not in the spec: \['category_freq'\]"),
        (
            lambda s: s["encoders"].append({"kind": "frequency", "column": "channel"}),
            r"missing for spec output\(s\) \['channel_freq'\]",
        ),
        (lambda s: s["encoders"][2].update(min_frequency=0.2), "min_frequency 0.2 in the spec, 0.05"),
    ],
)
def test_encoders_that_differ_from_the_spec_exit_2_before_reading(
    fitted_run: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], change, message: str
) -> None:  # type: ignore[no-untyped-def]
    _, fit_out = fitted_run
    spec = json.loads(EXAMPLE_SPEC.read_text())
    change(spec)
    out = tmp_path / "never"
    # The input does not exist: the mismatch must be reported before any data is read.
    args = ["--input", str(tmp_path / "absent"), "--output", str(out), "--spec", json.dumps(spec)]
    assert _run(*args, "--encoders", str(fit_out)) == 2
    err = capsys.readouterr().err
    assert "do not match the spec's encoders" in err and re.search(message, err), err
    assert not out.exists()


def test_missing_encoders_and_wrong_category_type_exit_2(
    spark: SparkSession, fitted_run: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, fit_out = fitted_run
    args = ["--output", str(tmp_path / "o"), "--spec", str(EXAMPLE_SPEC)]
    assert _run("--input", data, *args, "--encoders", str(tmp_path / "nothing" / "_encoders.json")) == 2
    assert "no such file" in capsys.readouterr().err
    assert _run("--input", data, *args, "--encoders", str(tmp_path / "nothing")) == 2
    assert "no committed features output" in capsys.readouterr().err
    typed = str(tmp_path / "int-channel")
    source = spark.read.parquet(data)
    source.withColumn("channel", source["amount"].isNull().cast("int")).write.parquet(typed)
    assert _run("--input", typed, *args, "--encoders", str(fit_out)) == 2
    assert (
        "column 'channel' has type int in the input, the encoder was fitted on string"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "o").exists()
