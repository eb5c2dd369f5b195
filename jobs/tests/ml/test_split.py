"""train_test_split against a hashlib reference: whole users, deterministic, realized fraction."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from pyspark.sql import DataFrame

from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml import train_test_split


def reference_side(key: str, seed: int, fraction: float) -> str:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()
    return "test" if int(digest[:13], 16) / 16**13 < fraction else "train"


def sides(df: DataFrame) -> dict[int, str]:
    return {r["row_id"]: r["split"] for r in df.select("row_id", "split").collect()}


def test_users_assigned_as_hashlib_computes_it(sdf: DataFrame, pdf: pd.DataFrame) -> None:
    split = train_test_split(sdf, "user_id", 0.3, seed=11)
    got = sides(split.labeled)
    expected = {int(r.row_id): reference_side(r.user_id, 11, 0.3) for r in pdf.itertuples()}
    assert got == expected
    # Whole users per side, including those whose events span the whole period.
    per_user = split.labeled.groupBy("user_id").agg({"split": "count"}).count()
    assert per_user == pdf["user_id"].nunique()
    assert split.train.join(split.test, "user_id").count() == 0
    spans = pdf.groupby("user_id")["event_time"].agg(lambda t: t.max() - t.min())
    assert (spans > pd.Timedelta(days=60)).sum() >= 5
    report = split.report()
    test_rows = sum(1 for s in expected.values() if s == "test")
    test_users = {r.user_id for r in pdf.itertuples() if expected[int(r.row_id)] == "test"}
    assert report["test"] == {"rows": test_rows, "users": len(test_users)}
    assert report["train"]["rows"] == len(pdf) - test_rows
    assert report["realized_test_fraction"]["rows"] == pytest.approx(test_rows / len(pdf))
    assert report["realized_test_fraction"]["users"] == pytest.approx(
        len(test_users) / pdf["user_id"].nunique()
    )


def test_same_split_whatever_the_partitioning_and_a_new_seed_changes_it(sdf: DataFrame) -> None:
    one = sides(train_test_split(sdf.coalesce(1), "user_id", 0.3, seed=11).labeled)
    many = sides(train_test_split(sdf.repartition(7, "row_id"), "user_id", 0.3, seed=11).labeled)
    assert one == many
    other = sides(train_test_split(sdf, "user_id", 0.3, seed=12).labeled)
    assert other != one


@pytest.mark.parametrize(
    ("fraction", "seed", "message"),
    [
        (0.0, 1, "test_fraction must be a number strictly between 0 and 1, got 0.0"),
        (1.5, 1, "got 1.5"),
        ("0.2", 1, "got '0.2'"),
        (0.2, 1.5, "seed must be an integer, got 1.5"),
    ],
)
def test_bad_parameters(sdf: DataFrame, fraction: object, seed: object, message: str) -> None:
    with pytest.raises(FeatureInputError, match=message):
        train_test_split(sdf, "user_id", fraction, seed)  # type: ignore[arg-type]
