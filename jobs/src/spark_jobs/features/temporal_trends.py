"""Temporal trend features: rolling statistics over the rows of each group, ordered by time.

All features given to :meth:`TemporalTrendFeatures.compute` share one partitioning
(``group_cols``) and one ordering (``time_col``): Spark shuffles and sorts once, and one
``mapInArrow`` pass computes every feature with vectorized numpy kernels over Arrow batches
(no row-at-a-time Python UDF; see :mod:`spark_jobs.features._rolling_kernels`). A sliding window
in Spark's own window functions re-aggregates its whole frame for every row, which made this
pass 40 times a plain scan.

Semantics follow pandas over the same ordering, per group (``w`` = window, rows not time):

=================  ================================================================================
feature            pandas equivalent
=================  ================================================================================
delta              ``x.diff(periods)``
pct_change         ``x.pct_change(periods, fill_method=None)``; division by zero gives null, not ±inf
momentum           ``x - x.rolling(w, min_periods=1).mean()``
volatility         ``x.rolling(w, min_periods=2).std()`` (ddof 1); ``kind="cv"`` divides by the
                   rolling mean (null when that mean is 0)
trend_slope        least-squares slope of the window's non-null values against their row position,
                   ``rolling(w, min_periods=2)``
rolling_rank       ``x.rolling(w, min_periods=1).rank(pct=True)`` (average ties, rank / count)
minmax_range       ``x.rolling(w, min_periods=1).max() - ...min()``
=================  ================================================================================

The time column must be a timestamp, date or number; a string column is refused (ordered as text,
``"10:00"`` sorts before ``"9:00"``) unless ``time_format`` names a Spark datetime pattern
(``yyyy-MM-dd HH:mm:ss``) that parses every non-null value: rows are then ordered by the parsed time,
and a value the pattern does not parse is an input error naming it.

Nulls (and NaN) are skipped as pandas skips NaN. Rows with a null group key form one group of
their own (pandas ``groupby(dropna=False)``). Ties in ``time_col`` within a group have no defined
order: make the time column unique per group for reproducible results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    NumericType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from spark_jobs.features._checks import (
    col,
    require_choice,
    require_columns,
    require_int,
    require_numeric,
)
from spark_jobs.features._rolling_kernels import KernelFeature, SortedBatchFeatures
from spark_jobs.features.errors import FeatureInputError, FeatureSpecError

TREND_KINDS: tuple[str, ...] = (
    "delta",
    "pct_change",
    "momentum",
    "volatility",
    "trend_slope",
    "rolling_rank",
    "minmax_range",
)
"""The feature kinds :class:`TrendFeature` accepts."""

VOLATILITY_KINDS: tuple[str, ...] = ("std", "cv")
_PERIOD_KINDS = frozenset({"delta", "pct_change"})
_MIN_WINDOW = {"momentum": 1, "rolling_rank": 1, "minmax_range": 1, "volatility": 2, "trend_slope": 2}


@dataclass(frozen=True)
class TrendFeature:
    """One trend feature to compute.

    Args:
        kind: one of :data:`TREND_KINDS`.
        value_col: the numeric column the feature is computed from.
        window: number of rows in the window (the current row and the ``window - 1`` before it);
            required for every kind except ``delta`` and ``pct_change``.
        periods: lag for ``delta`` and ``pct_change`` (>= 1).
        volatility_kind: ``"std"`` or ``"cv"`` (coefficient of variation), for ``volatility`` only.
        output_col: name of the added column; ``None`` gives :attr:`default_name`.
    """

    kind: str
    value_col: str
    window: int | None = None
    periods: int = 1
    volatility_kind: str = "std"
    output_col: str | None = None

    def __post_init__(self) -> None:
        require_choice("kind", self.kind, TREND_KINDS)
        if self.kind in _PERIOD_KINDS:
            require_int(f"{self.kind}: periods", self.periods, 1)
        else:
            if self.window is None:
                raise FeatureInputError(f"{self.kind} on '{self.value_col}': window is required")
            require_int(f"{self.kind}: window", self.window, _MIN_WINDOW[self.kind])
        if self.kind == "volatility":
            require_choice("volatility_kind", self.volatility_kind, VOLATILITY_KINDS)

    @property
    def default_name(self) -> str:
        """``<value_col>_<kind>_<periods|window>``, with the volatility kind for ``volatility``."""
        if self.kind in _PERIOD_KINDS:
            return f"{self.value_col}_{self.kind}_{self.periods}"
        if self.kind == "volatility":
            return f"{self.value_col}_volatility_{self.volatility_kind}_{self.window}"
        return f"{self.value_col}_{self.kind}_{self.window}"

    @property
    def name(self) -> str:
        """The output column name."""
        return self.output_col or self.default_name


class TemporalTrendFeatures:
    """Trend features over rows ordered by ``time_col`` within ``group_cols``.

    Args:
        time_col: the column that orders rows inside a group (timestamp, date or number).
        group_cols: the columns that define a group (a series); may be empty for one global series,
            which Spark then computes on a single partition.
        time_format: a Spark datetime pattern (``yyyy-MM-dd HH:mm:ss``) that parses a string
            ``time_col``; without it a string time column is refused.
    """

    def __init__(self, time_col: str, group_cols: Sequence[str], time_format: str | None = None) -> None:
        if isinstance(group_cols, str):
            group_cols = [group_cols]
        if time_format is not None and (not isinstance(time_format, str) or not time_format.strip()):
            raise FeatureSpecError(
                f"time_format must be a non-empty Spark datetime pattern, got {time_format!r}"
            )
        self.time_col = time_col
        self.group_cols: tuple[str, ...] = tuple(group_cols)
        self.time_format = time_format

    # One method per feature, each a thin wrapper over compute().
    def delta(
        self, df: DataFrame, value_col: str, periods: int = 1, output_col: str | None = None
    ) -> DataFrame:
        """Add ``x - x.shift(periods)`` per group."""
        return self.compute(df, [TrendFeature("delta", value_col, periods=periods, output_col=output_col)])

    def pct_change(
        self, df: DataFrame, value_col: str, periods: int = 1, output_col: str | None = None
    ) -> DataFrame:
        """Add ``x / x.shift(periods) - 1`` per group; a zero denominator gives null (pandas: ±inf)."""
        return self.compute(
            df, [TrendFeature("pct_change", value_col, periods=periods, output_col=output_col)]
        )

    def momentum(
        self, df: DataFrame, value_col: str, window: int, output_col: str | None = None
    ) -> DataFrame:
        """Add ``x`` minus its rolling mean over ``window`` rows (partial windows allowed)."""
        return self.compute(df, [TrendFeature("momentum", value_col, window=window, output_col=output_col)])

    def volatility(
        self, df: DataFrame, value_col: str, window: int, kind: str = "std", output_col: str | None = None
    ) -> DataFrame:
        """Add the rolling sample std (ddof 1, >= 2 values), or with ``kind="cv"`` std / rolling mean."""
        feature = TrendFeature(
            "volatility", value_col, window=window, volatility_kind=kind, output_col=output_col
        )
        return self.compute(df, [feature])

    def trend_slope(
        self, df: DataFrame, value_col: str, window: int, output_col: str | None = None
    ) -> DataFrame:
        """Add the least-squares slope of the window's non-null values against row position (>= 2 values)."""
        return self.compute(
            df, [TrendFeature("trend_slope", value_col, window=window, output_col=output_col)]
        )

    def rolling_rank(
        self, df: DataFrame, value_col: str, window: int, output_col: str | None = None
    ) -> DataFrame:
        """Add the percentile rank (average ties, rank / count) of the current value inside its window."""
        return self.compute(
            df, [TrendFeature("rolling_rank", value_col, window=window, output_col=output_col)]
        )

    def minmax_range(
        self, df: DataFrame, value_col: str, window: int, output_col: str | None = None
    ) -> DataFrame:
        """Add the rolling max minus the rolling min over ``window`` rows (partial windows allowed)."""
        return self.compute(
            df, [TrendFeature("minmax_range", value_col, window=window, output_col=output_col)]
        )

    def compute(self, df: DataFrame, features: Sequence[TrendFeature]) -> DataFrame:
        """Add every feature in ``features`` to ``df`` in one pass (one shuffle, one sort).

        Spark shuffles the rows by ``group_cols`` and sorts each partition by (group, time) once;
        one ``mapInArrow`` pass then computes all features with vectorized numpy kernels
        (:mod:`spark_jobs.features._rolling_kernels`), carrying the last rows of each Arrow batch
        into the next so windows may span batches.

        Raises:
            FeatureInputError: a missing or non-numeric column, or a duplicate/clashing output name.
        """
        self._check(df, features)
        if not features:
            return df
        keys = [col(c) for c in self.group_cols]
        shuffled = df.repartition(*keys) if keys else df.repartition(1)
        ordered = shuffled.sortWithinPartitions(*keys, self._time_order(df))
        kernel = SortedBatchFeatures(
            self.group_cols,
            [
                KernelFeature(
                    kind=f.kind,
                    value_col=f.value_col,
                    size=f.periods if f.kind in _PERIOD_KINDS else int(f.window or 0),
                    volatility_kind=f.volatility_kind,
                    name=f.name,
                )
                for f in features
            ],
        )
        schema = StructType([*df.schema.fields, *(StructField(f.name, DoubleType(), True) for f in features)])
        return ordered.mapInArrow(kernel, schema)

    def _time_order(self, df: DataFrame) -> Column:
        """The ordering expression: the time column, or its parsed value for a string with a format."""
        if isinstance(df.schema[self.time_col].dataType, StringType) and self.time_format is not None:
            return F.try_to_timestamp(col(self.time_col), F.lit(self.time_format))
        return col(self.time_col)

    def _check_time_column(self, df: DataFrame) -> None:
        dtype: DataType = df.schema[self.time_col].dataType
        if _is_time_type(dtype):
            return
        if not isinstance(dtype, StringType):
            raise FeatureInputError(
                f"time_col '{self.time_col}' has type {dtype.simpleString()}; a time column must be a "
                "timestamp, date or number (or a string parsed with time_format)"
            )
        if self.time_format is None:
            raise FeatureInputError(
                f"time_col '{self.time_col}' has type string, which would order rows as text; a time column "
                "must be a timestamp, date or number, or declare time_format (a Spark datetime pattern such "
                "as yyyy-MM-dd HH:mm:ss) to parse it"
            )
        raw = col(self.time_col)
        try:
            bad = (
                df.select(raw.alias("value"))
                .where(raw.isNotNull() & self._time_order(df).isNull())
                .limit(1)
                .collect()
            )
        except Exception as exc:  # Spark refuses the pattern itself when it evaluates it
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FeatureSpecError(
                f"time_format {self.time_format!r} is not a usable Spark datetime pattern: {reason}"
            ) from None
        if bad:
            raise FeatureInputError(
                f"time_col '{self.time_col}': value {bad[0]['value']!r} does not parse with time_format "
                f"{self.time_format!r}"
            )

    def _check(self, df: DataFrame, features: Sequence[TrendFeature]) -> None:
        require_columns(df, [self.time_col, *self.group_cols], "TemporalTrendFeatures")
        self._check_time_column(df)
        names: set[str] = set()
        for feature in features:
            if not isinstance(feature, TrendFeature):
                raise FeatureInputError(f"features must be TrendFeature instances, got {feature!r}")
            require_numeric(df, feature.value_col, f"{feature.kind}: value_col")
            if feature.name in names or feature.name in df.columns:
                raise FeatureInputError(
                    f"{feature.kind}: output column '{feature.name}' already exists; "
                    "choose another output_col"
                )
            names.add(feature.name)


def _is_time_type(dtype: DataType) -> bool:
    """Timestamp (with or without time zone), date, or a number (booleans are not times)."""
    if isinstance(dtype, BooleanType):
        return False
    return isinstance(dtype, (TimestampType, DateType, NumericType)) or dtype.typeName() == "timestamp_ntz"
