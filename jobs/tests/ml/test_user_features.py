"""user_features against a pandas groupby reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import DataFrame

from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml import user_feature_names, user_features


def favourite(group: pd.DataFrame) -> object:
    """Most frequent category; ties to the earliest first occurrence, then the smaller value."""
    known = group.dropna(subset=["category"])
    if known.empty:
        return None
    stats = known.groupby("category").agg(n=("category", "size"), first=("event_time", "min"))
    stats = stats.reset_index().sort_values(["n", "first", "category"], ascending=[False, True, True])
    return stats["category"].iloc[0]


def pandas_users(pdf: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    g = pdf.groupby("user_id")
    out = pd.DataFrame(
        {
            "user_txn_count": g.size(),
            "user_amount_sum": g["amount"].sum(min_count=1),
            "user_amount_mean": g["amount"].mean(),
            "user_amount_std": g["amount"].std(ddof=1),
            "user_first_event": g["event_time"].min(),
            "user_last_event": g["event_time"].max(),
            "user_days_active": g["event_time"].agg(lambda t: t.dt.date.nunique()),
            "user_distinct_categories": g["category"].nunique(dropna=True),
            "user_favorite_category": g[["category", "event_time"]].apply(favourite),
        }
    )
    out["user_days_since_first"] = (as_of - out["user_first_event"]) / pd.Timedelta(days=1)
    mean = out["user_amount_mean"]
    out["user_amount_cv"] = (out["user_amount_std"] / mean).where(mean != 0)
    return out


NUMERIC = [
    "user_txn_count",
    "user_amount_sum",
    "user_amount_mean",
    "user_amount_std",
    "user_days_active",
    "user_days_since_first",
    "user_distinct_categories",
    "user_amount_cv",
]


def test_per_user_matches_pandas(sdf: DataFrame, pdf: pd.DataFrame) -> None:
    got = user_features(sdf, "user_id", "event_time", "amount", "category", per_row=False).toPandas()
    got = got.set_index("user_id").sort_index()
    expected = pandas_users(pdf, pdf["event_time"].max()).sort_index()
    assert list(got.index) == list(expected.index)
    for name in NUMERIC:
        np.testing.assert_allclose(
            got[name].to_numpy(float), expected[name].to_numpy(float), rtol=1e-9, err_msg=name
        )
    for name in ("user_first_event", "user_last_event"):
        assert got[name].tolist() == expected[name].tolist(), name
    assert got["user_favorite_category"].tolist() == expected["user_favorite_category"].tolist()
    # The tie user: tech and food both twice; tech occurred first.
    assert got.loc["tie", "user_favorite_category"] == "tech"
    assert (pdf.groupby("user_id").size() == 1).sum() >= 3  # single-event users: std and cv null
    assert (
        got.loc[pdf.groupby("user_id").size().idxmin(), "user_amount_std"]
        != got.loc["tie", "user_amount_std"]
    )


def test_per_row_joins_every_row_and_as_of(sdf: DataFrame, pdf: pd.DataFrame) -> None:
    as_of = dt.datetime(2026, 6, 1)
    got = user_features(sdf, "user_id", "event_time", "amount", "category", as_of="2026-06-01T00:00:00")
    rows = got.toPandas().set_index("row_id").sort_index()
    assert len(rows) == len(pdf)
    assert list(got.columns) == [*sdf.columns, *user_feature_names("amount")]
    expected = pandas_users(pdf, pd.Timestamp(as_of))
    by_user = expected.loc[rows["user_id"]]
    np.testing.assert_allclose(
        rows["user_days_since_first"].to_numpy(float), by_user["user_days_since_first"].to_numpy(float)
    )
    assert rows["user_txn_count"].tolist() == by_user["user_txn_count"].tolist()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"as_of": "yesterday"}, "as_of must be an ISO-8601 time"),
        ({"category_col": "amount"}, "column 'amount' has type double"),
        ({"key_col": "nope"}, r"column\(s\) \['nope'\] not found"),
    ],
)
def test_bad_input(sdf: DataFrame, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "key_col": "user_id",
        "time_col": "event_time",
        "value_col": "amount",
        "category_col": "category",
        **kwargs,
    }
    with pytest.raises(FeatureInputError, match=message):
        user_features(sdf, **args).collect()  # type: ignore[arg-type]
