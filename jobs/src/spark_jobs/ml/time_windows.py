"""Event-time window features: count, sum, mean and std of a value over the key's last N days.

A window is a range of event time, not a number of rows: row ``r`` of key ``k`` at time ``t`` sees
the rows of ``k`` whose event time lies in ``(t - window, t]`` (pandas'
``groupby(k).rolling("7D", on=time, closed="right")``). With several events a day, a row-count
window of 7 rows would silently mean "the last 7 events"; a range window means the last 7 days.

Semantics, row by row (checked against pandas in jobs/tests/ml/test_time_windows.py):

* Rows are ordered by event time, not by arrival: a late-arriving row lands where its time puts it,
  as pandas after sorting by (key, time).
* ``count`` counts non-null values (0 when there are none), ``sum``/``mean`` are null without a
  non-null value, ``std`` is the sample standard deviation (ddof 1, null below 2 values). NaN is
  read as null, as pandas skips it.
* Ties (rows of one key with the same event time) all get the same window, which includes every
  one of them: SQL ``RANGE`` semantics. pandas is order-dependent there: of tied rows, only the last
  one (in row order) sees all of them, earlier ones see only the ties before them. Our value for
  every tied row is pandas' value for the last row of the tie.
* A row with a null event time gets null features (it has no place in time). A null key is one
  group of its own, as SQL groups nulls.

Implementation: one shuffle by key, one sort by (key, event time in microseconds), then one
``mapInArrow`` pass computes every window with numpy (:mod:`spark_jobs.ml._range_kernels`:
``searchsorted`` for each row's ``(t - window, t]``, prefix sums for the statistics). Spark's own
``rangeBetween`` frames re-aggregate each row's whole frame; at 1M rows they cost 2.4 times the
shuffle and sort they need (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StructField, StructType

from spark_jobs.features._checks import col, require_categorical, require_numeric
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml._params import parse_window, require_time, window_label
from spark_jobs.ml._range_kernels import RangeWindow, SortedRangeWindows

WINDOW_STATS: tuple[str, ...] = ("count", "sum", "mean", "std")
_TIME_US = "__event_time_us"


def window_feature_name(value_col: str, stat: str, window: str) -> str:
    """The output column of one statistic over one window: ``amount_sum_7d``."""
    return f"{value_col}_{stat}_{window_label(window)}"


def time_window_features(
    df: DataFrame,
    key_col: str,
    time_col: str,
    value_col: str,
    windows: Sequence[str] = ("7d", "30d"),
    stats: Sequence[str] = WINDOW_STATS,
) -> DataFrame:
    """Add ``<value>_<stat>_<window>`` for every window and statistic (see the module docstring).

    Args:
        df: the rows (one per event).
        key_col: the entity (user) whose rows form a window.
        time_col: event time (timestamp or date).
        value_col: the numeric value aggregated.
        windows: window lengths such as ``"7d"``, ``"30d"``, ``"12h"`` (units d, h, m, s).
        stats: any of :data:`WINDOW_STATS`.

    Returns ``df``'s columns followed by the new ones, in window-major order.
    """
    require_categorical(df, key_col, "time_window_features: key_col")
    require_time(df, time_col, "time_window_features: time_col")
    require_numeric(df, value_col, "time_window_features: value_col")
    if isinstance(windows, str) or not windows:
        raise FeatureInputError(f"time_window_features: windows must be a non-empty list, got {windows!r}")
    labels = [window_label(w) for w in windows]
    if len(set(labels)) != len(labels):
        raise FeatureInputError(f"time_window_features: windows must be distinct, got {list(windows)}")
    unknown = [s for s in stats if s not in WINDOW_STATS]
    if unknown or not stats:
        raise FeatureInputError(
            f"time_window_features: stats must be a non-empty subset of {list(WINDOW_STATS)}, "
            f"got {list(stats)}"
        )
    original = list(df.columns)
    with_time = df.withColumn(_TIME_US, F.unix_micros(col(time_col).cast("timestamp")))
    ranges = [
        RangeWindow(
            parse_window(w) // timedelta(microseconds=1),
            *(window_feature_name(value_col, stat, w) for stat in WINDOW_STATS),
        )
        for w in windows
    ]
    kernel = SortedRangeWindows(key_col, _TIME_US, value_col, ranges)
    computed = [
        StructField(name, LongType() if stat == "count" else DoubleType(), True)
        for w in windows
        for stat in WINDOW_STATS
        for name in [window_feature_name(value_col, stat, w)]
    ]
    ordered = with_time.repartition(col(key_col)).sortWithinPartitions(
        col(key_col), F.col(_TIME_US).asc_nulls_first()
    )
    out = ordered.mapInArrow(kernel, StructType([*with_time.schema.fields, *computed]))
    new = [window_feature_name(value_col, stat, w) for w in windows for stat in stats]
    return out.select(*[col(c) for c in original], *[col(c) for c in new])
