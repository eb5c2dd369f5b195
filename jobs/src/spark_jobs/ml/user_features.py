"""Per-user lifetime features: activity, spend statistics and the favourite category.

Columns (``<p>`` is ``prefix``, ``<v>`` the value column):

=============================  ===================================================================
``<p>txn_count``               rows of the user (null values included)
``<p><v>_sum/_mean/_std``      over the user's non-null values (std: sample, ddof 1; null below 2)
``<p>first_event/last_event``  earliest and latest event time
``<p>days_active``             distinct calendar days (session time zone) with an event
``<p>days_since_first``        ``(as_of - first_event)`` in days (fractional); ``as_of`` defaults to
                               the latest event time of the whole input
``<p>distinct_categories``     distinct non-null categories
``<p>favorite_category``       the most frequent non-null category; a tie goes to the category that
                               occurred first (earliest event time), then to the smaller value
``<p><v>_cv``                  coefficient of variation ``std / mean`` (null when mean is 0 or std null)
=============================  ===================================================================

Two aggregations (per user; per user and category) and one join; ``per_row=True`` joins the
result back to every row of the user (null-safe on the key, :func:`join_user_features`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Union

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.features._checks import as_double, col, require_categorical, require_numeric
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml._params import require_time

AsOf = Union[datetime, str, None]


def user_feature_names(value_col: str, prefix: str = "user_") -> list[str]:
    """The columns :func:`user_features` adds, in order."""
    p = prefix
    return [
        f"{p}txn_count",
        f"{p}{value_col}_sum",
        f"{p}{value_col}_mean",
        f"{p}{value_col}_std",
        f"{p}first_event",
        f"{p}last_event",
        f"{p}days_active",
        f"{p}days_since_first",
        f"{p}distinct_categories",
        f"{p}favorite_category",
        f"{p}{value_col}_cv",
    ]


def user_numeric_feature_names(value_col: str, prefix: str = "user_") -> list[str]:
    """The numeric columns of :func:`user_features` (model inputs; times and the category excluded)."""
    excluded = {f"{prefix}first_event", f"{prefix}last_event", f"{prefix}favorite_category"}
    return [n for n in user_feature_names(value_col, prefix) if n not in excluded]


def _as_of_column(df: DataFrame, time_col: str, as_of: AsOf) -> Column:
    if as_of is None:
        # An aggregate without grouping always has one row.
        row = df.agg(F.max(col(time_col).cast("timestamp"))).first()
        latest = row[0] if row is not None else None
        if latest is None:
            raise FeatureInputError(f"user_features: time_col '{time_col}' has no non-null values")
        return F.lit(latest).cast("timestamp")
    if isinstance(as_of, datetime):
        return F.lit(as_of).cast("timestamp")
    if isinstance(as_of, str):
        try:
            datetime.fromisoformat(as_of.replace("Z", "+00:00"))
        except ValueError:
            raise FeatureInputError(
                f"user_features: as_of must be an ISO-8601 time (e.g. 2026-03-31T00:00:00Z), got {as_of!r}"
            ) from None
        return F.lit(as_of).cast("timestamp")
    raise FeatureInputError(
        f"user_features: as_of must be a datetime, an ISO-8601 string or None, got {as_of!r}"
    )


def user_features(
    df: DataFrame,
    key_col: str,
    time_col: str,
    value_col: str,
    category_col: str,
    as_of: AsOf = None,
    per_row: bool = True,
    prefix: str = "user_",
) -> DataFrame:
    """The user features of the module docstring: per user (``per_row=False``) or on every row."""
    require_categorical(df, key_col, "user_features: key_col")
    require_time(df, time_col, "user_features: time_col")
    require_numeric(df, value_col, "user_features: value_col")
    require_categorical(df, category_col, "user_features: category_col")
    names = user_feature_names(value_col, prefix)
    clash = [n for n in names if n in df.columns]
    if clash:
        raise FeatureInputError(f"user_features: output column(s) {clash} already exist in the input")
    p, v = prefix, value_col
    t = col(time_col).cast("timestamp")
    x = as_double(value_col)
    key = col(key_col).alias(key_col)
    totals = df.groupBy(key).agg(
        F.count(F.lit(1)).alias(f"{p}txn_count"),
        F.sum(x).alias(f"{p}{v}_sum"),
        F.avg(x).alias(f"{p}{v}_mean"),
        F.stddev_samp(x).alias(f"{p}{v}_std"),
        F.min(t).alias(f"{p}first_event"),
        F.max(t).alias(f"{p}last_event"),
        F.countDistinct(F.to_date(t)).alias(f"{p}days_active"),
    )
    per_category = (
        df.where(col(category_col).isNotNull())
        .groupBy(key, col(category_col).alias("__category"))
        .agg(F.count(F.lit(1)).alias("__n"), F.min(t).alias("__first_seen"))
    )
    # The smallest (-count, first occurrence, value) is the favourite: most frequent, then earliest.
    categories = per_category.groupBy(col(key_col).alias(key_col)).agg(
        F.count(F.lit(1)).alias(f"{p}distinct_categories"),
        F.min(F.struct(-F.col("__n"), F.col("__first_seen"), F.col("__category")))
        .getField("__category")
        .alias(f"{p}favorite_category"),
    )
    as_of_ts = _as_of_column(df, time_col, as_of)

    q = _qualified

    joined = totals.alias("t").join(
        categories.alias("c"), q("t", key_col).eqNullSafe(q("c", key_col)), "left"
    )
    mean, std = q("t", f"{p}{v}_mean"), q("t", f"{p}{v}_std")
    per_user = joined.select(
        q("t", key_col).alias(key_col),
        *[q("t", n) for n in names[:7]],
        ((F.unix_micros(as_of_ts) - F.unix_micros(q("t", f"{p}first_event"))) / 86_400_000_000.0).alias(
            f"{p}days_since_first"
        ),
        F.coalesce(q("c", f"{p}distinct_categories"), F.lit(0)).alias(f"{p}distinct_categories"),
        q("c", f"{p}favorite_category").alias(f"{p}favorite_category"),
        F.when(mean != 0.0, std / mean).alias(f"{p}{v}_cv"),
    )
    if not per_row:
        return per_user
    return join_user_features(df, per_user, key_col, value_col, prefix)


def _qualified(alias: str, name: str) -> Column:
    return F.col(f"{alias}.`" + name.replace("`", "``") + "`")


def join_user_features(
    rows: DataFrame, per_user: DataFrame, key_col: str, value_col: str, prefix: str = "user_"
) -> DataFrame:
    """``rows`` with the user features of ``per_user`` (from ``per_row=False``) appended (null-safe key).

    Lets a job compute the per-user table from the raw events and join it to rows that went through
    other stages, so those stages are not evaluated again for the user aggregations.
    """
    q = _qualified
    names = user_feature_names(value_col, prefix)
    joined = rows.alias("r").join(per_user.alias("u"), q("r", key_col).eqNullSafe(q("u", key_col)), "left")
    return joined.select(*[q("r", c) for c in rows.columns], *[q("u", n) for n in names])
