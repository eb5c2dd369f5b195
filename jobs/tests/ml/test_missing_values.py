"""Missing-value policies: fill values fitted on the training split only (pandas reference)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml import FittedMissingValues, fit_missing_values, parse_policies, train_test_split


def test_fills_come_from_the_training_rows(spark: SparkSession, sdf: DataFrame, pdf: pd.DataFrame) -> None:
    df = sdf.withColumn("amount2", sdf["amount"] * 2).withColumn("amount3", sdf["amount"] + 1)
    split = train_test_split(df, "user_id", 0.3, seed=5)
    train_ids = {r["row_id"] for r in split.train.select("row_id").collect()}
    train = pdf[pdf["row_id"].isin(train_ids)]
    policies = parse_policies({"amount": "mean", "amount2": "median", "amount3": "constant:-1"})
    fitted = fit_missing_values(split.train, policies)
    assert fitted.fill_values["amount"] == pytest.approx(train["amount"].mean(), rel=1e-12)
    assert fitted.fill_values["amount2"] == pytest.approx((train["amount"] * 2).median(), rel=1e-12)
    assert fitted.fill_values["amount3"] == -1.0
    # Fitting on all rows would give another mean: the test can tell leakage apart.
    assert abs(pdf["amount"].mean() - train["amount"].mean()) > 1e-6
    out = fitted.transform(split.labeled).toPandas().set_index("row_id").sort_index()
    ref = pdf.set_index("row_id").sort_index()
    expected = ref["amount"].fillna(train["amount"].mean())
    np.testing.assert_allclose(out["amount"].to_numpy(float), expected.to_numpy(float), rtol=1e-12)
    assert out["amount3"].isna().sum() == 0
    assert ((out["amount3"] == -1.0) == ref["amount"].isna()).all()
    # Round trip of the stored form.
    again = FittedMissingValues.from_json(fitted.to_json())
    assert again == fitted
    assert json.loads(fitted.to_json())["amount2"]["policy"] == "median"


def test_drop_removes_rows_with_missing_values_from_any_split(sdf: DataFrame, pdf: pd.DataFrame) -> None:
    fitted = fit_missing_values(sdf, parse_policies({"amount": "drop"}))
    assert fitted.fill_values == {}
    assert fitted.transform(sdf).count() == int(pdf["amount"].notna().sum())


def test_bad_policies_and_unfittable_columns(spark: SparkSession) -> None:
    with pytest.raises(FeatureInputError, match="policy for 'x': 'average' is not valid; allowed"):
        parse_policies({"x": "average"})
    with pytest.raises(FeatureInputError, match="'constant:abc' is not valid"):
        parse_policies({"x": "constant:abc"})
    df = spark.createDataFrame([(None,), (None,)], "x double")
    with pytest.raises(FeatureInputError, match="'mean' for 'x': the training split has no non-null value"):
        fit_missing_values(df, parse_policies({"x": "mean"}))
    assert fit_missing_values(df, parse_policies({"x": 0})).fill_values == {"x": 0.0}
