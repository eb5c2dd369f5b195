"""Categorical encoders with a fit/transform split: frequency, target mean (m-estimate), rare grouping.

A fit is one grouped aggregation over the data; the fitted mapping (one row per category) is
collected to the driver, can be saved as JSON and loaded again, and is applied with a broadcast
join. Defined values for categories the fit never saw:

================  ==========================================  =====================================
encoding          null category                               unseen category
================  ==========================================  =====================================
frequency         a category of its own (its share at fit)    0.0
target mean       the prior (category_encoders' behaviour)    the prior
rare grouping     stays null                                  ``other_label``
================  ==========================================  =====================================

Weights (``weight_col``) must be non-null and >= 0, with a positive total.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from spark_jobs import io
from spark_jobs.features._checks import col, column_type, require_categorical, require_numeric
from spark_jobs.features.errors import FeatureInputError

ENCODING_KINDS: tuple[str, ...] = ("frequency", "target_mean", "rare")
_KEY = "__encoder_key"
_VALUE = "__encoder_value"
_FORMAT_VERSION = 1


@dataclass(frozen=True)
class FittedEncoding:
    """A fitted mapping from the categories of ``column`` to encoded values.

    Attributes:
        kind: ``"frequency"``, ``"target_mean"`` or ``"rare"``.
        column: the categorical input column.
        output_col: the column :meth:`transform` adds (it may equal ``column`` to replace it).
        category_type: Spark type of ``column`` (``simpleString``), used to rebuild the lookup.
        categories: the categories seen at fit time (``None`` is the null category).
        values: the encoded value of each category (a float, or a label for ``rare``).
        unseen_value: the value of a category not in ``categories``.
        params: the fit parameters and statistics (prior, smoothing, weights, counts...).
    """

    kind: str
    column: str
    output_col: str
    category_type: str
    categories: tuple[Any, ...]
    values: tuple[Any, ...]
    unseen_value: Any
    params: dict[str, Any] = field(default_factory=dict)

    def mapping(self) -> dict[Any, Any]:
        """The mapping as a dict (category -> value)."""
        return dict(zip(self.categories, self.values))

    def transform(self, df: DataFrame, output_col: str | None = None) -> DataFrame:
        """Add the encoded column to ``df`` with a broadcast join on the (null-safe) category."""
        out_name = output_col or self.output_col
        require_categorical(df, self.column, f"{self.kind} encoding")
        spark = df.sparkSession
        value_type = "string" if self.kind == "rare" else "double"
        lookup = spark.createDataFrame(
            list(zip(self.categories, self.values)), f"{_KEY} {self.category_type}, {_VALUE} {value_type}"
        )
        joined = df.join(F.broadcast(lookup), col(self.column).eqNullSafe(F.col(_KEY)), "left")
        value = F.coalesce(F.col(_VALUE), F.lit(self.unseen_value).cast(value_type))
        if self.kind == "rare":
            value = F.when(col(self.column).isNull(), F.lit(None).cast("string")).otherwise(value)
        kept = [col(c) for c in df.columns if c != out_name]
        return joined.select(*kept, value.alias(out_name))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fitted mapping."""
        return {
            "format_version": _FORMAT_VERSION,
            "kind": self.kind,
            "column": self.column,
            "output_col": self.output_col,
            "category_type": self.category_type,
            "categories": list(self.categories),
            "values": list(self.values),
            "unseen_value": self.unseen_value,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedEncoding:
        """Rebuild a fitted mapping from :meth:`to_dict` output."""
        if data.get("format_version") != _FORMAT_VERSION or data.get("kind") not in ENCODING_KINDS:
            raise FeatureInputError(
                "not a fitted encoding: "
                f"format_version {data.get('format_version')!r}, kind {data.get('kind')!r}"
            )
        return cls(
            kind=data["kind"],
            column=data["column"],
            output_col=data["output_col"],
            category_type=data["category_type"],
            categories=tuple(data["categories"]),
            values=tuple(data["values"]),
            unseen_value=data["unseen_value"],
            params=dict(data["params"]),
        )

    def save(self, spark: SparkSession, uri: str) -> str:
        """Write the mapping as JSON to ``uri`` (any Hadoop URI); returns ``uri``."""
        return io.write_text(spark, uri, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, spark: SparkSession, uri: str) -> FittedEncoding:
        """Read a mapping written by :meth:`save`."""
        return cls.from_dict(json.loads(io.read_text(spark, uri)))


class CategoricalEncoder:
    """Fits and applies categorical encodings; every fit is kept in :attr:`fitted` by output column."""

    def __init__(self) -> None:
        self.fitted: dict[str, FittedEncoding] = {}

    # fit + transform in one call, as most pipelines use it
    def freq_encoding(
        self, df: DataFrame, col_name: str, weight_col: str | None = None, output_col: str | None = None
    ) -> DataFrame:
        """Add the (weighted) share of rows holding each category of ``col_name``."""
        return self.fit_frequency(df, col_name, weight_col, output_col).transform(df)

    def target_mean_encoding(
        self,
        df: DataFrame,
        col_name: str,
        target_col: str,
        smoothing: float = 1.0,
        weight_col: str | None = None,
        output_col: str | None = None,
    ) -> DataFrame:
        """Add the m-estimate ``(sum(w*y) + m*prior) / (sum(w) + m)`` of the target per category."""
        return self.fit_target_mean(df, col_name, target_col, smoothing, weight_col, output_col).transform(df)

    def rare_grouping(
        self,
        df: DataFrame,
        col_name: str,
        min_frequency: float = 0.01,
        other_label: str = "__OTHER__",
        weight_col: str | None = None,
        output_col: str | None = None,
    ) -> DataFrame:
        """Replace categories whose (weighted) share is below ``min_frequency`` by ``other_label``."""
        fitted = self.fit_rare(df, col_name, min_frequency, other_label, weight_col, output_col)
        return fitted.transform(df)

    # fits
    def fit_frequency(
        self, df: DataFrame, col_name: str, weight_col: str | None = None, output_col: str | None = None
    ) -> FittedEncoding:
        """Fit the share of each category (null included) among all rows, weighted by ``weight_col``."""
        stats = _category_stats(df, col_name, weight_col, None, "frequency encoding")
        total = sum(s["weight"] for s in stats)
        return self._keep(
            FittedEncoding(
                kind="frequency",
                column=col_name,
                output_col=output_col or f"{col_name}_freq",
                category_type=column_type(df, col_name).simpleString(),
                categories=tuple(s["key"] for s in stats),
                values=tuple(s["weight"] / total for s in stats),
                unseen_value=0.0,
                params={"weight_col": weight_col, "total_weight": total},
            )
        )

    def fit_target_mean(
        self,
        df: DataFrame,
        col_name: str,
        target_col: str,
        smoothing: float = 1.0,
        weight_col: str | None = None,
        output_col: str | None = None,
    ) -> FittedEncoding:
        """Fit the m-estimate of ``target_col`` per category; ``prior`` is the weighted global mean.

        With unit weights this equals category_encoders' ``MEstimateEncoder(m=smoothing)``.
        """
        if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or smoothing < 0:
            raise FeatureInputError(
                f"target mean encoding: smoothing must be a number >= 0, got {smoothing!r}"
            )
        stats = _category_stats(df, col_name, weight_col, target_col, "target mean encoding")
        total_w = sum(s["weight"] for s in stats)
        prior = sum(s["weighted_target"] for s in stats) / total_w
        m = float(smoothing)
        seen = [s for s in stats if s["key"] is not None]
        if m == 0 and any(s["weight"] == 0 for s in seen):
            raise FeatureInputError(
                "target mean encoding: smoothing 0 with a zero-weight category divides by zero; "
                "use smoothing > 0"
            )
        return self._keep(
            FittedEncoding(
                kind="target_mean",
                column=col_name,
                output_col=output_col or f"{col_name}_target_mean",
                category_type=column_type(df, col_name).simpleString(),
                categories=tuple(s["key"] for s in seen),
                values=tuple((s["weighted_target"] + m * prior) / (s["weight"] + m) for s in seen),
                unseen_value=prior,
                params={"target_col": target_col, "smoothing": m, "prior": prior, "weight_col": weight_col},
            )
        )

    def fit_rare(
        self,
        df: DataFrame,
        col_name: str,
        min_frequency: float = 0.01,
        other_label: str = "__OTHER__",
        weight_col: str | None = None,
        output_col: str | None = None,
    ) -> FittedEncoding:
        """Fit which categories are frequent: share >= ``min_frequency`` among all rows (null rows count)."""
        if (
            isinstance(min_frequency, bool)
            or not isinstance(min_frequency, (int, float))
            or not 0 <= min_frequency <= 1
        ):
            raise FeatureInputError(f"rare grouping: min_frequency must be in [0, 1], got {min_frequency!r}")
        if not isinstance(other_label, str):
            raise FeatureInputError(f"rare grouping: other_label must be a string, got {other_label!r}")
        stats = _category_stats(df, col_name, weight_col, None, "rare grouping")
        total = sum(s["weight"] for s in stats)
        frequent = [s for s in stats if s["key"] is not None and s["weight"] / total >= min_frequency]
        return self._keep(
            FittedEncoding(
                kind="rare",
                column=col_name,
                output_col=output_col or f"{col_name}_grouped",
                category_type=column_type(df, col_name).simpleString(),
                categories=tuple(s["key"] for s in frequent),
                values=tuple(str(s["key"]) for s in frequent),
                unseen_value=other_label,
                params={
                    "min_frequency": float(min_frequency),
                    "weight_col": weight_col,
                    "total_weight": total,
                },
            )
        )

    def transform(self, df: DataFrame, output_cols: Sequence[str] | None = None) -> DataFrame:
        """Apply the fitted encodings (all, or those named in ``output_cols``) in fit order."""
        names = list(self.fitted) if output_cols is None else list(output_cols)
        unknown = [n for n in names if n not in self.fitted]
        if unknown:
            raise FeatureInputError(f"no fitted encoding for {unknown}; fitted: {list(self.fitted)}")
        for name in names:
            df = self.fitted[name].transform(df)
        return df

    def save(self, spark: SparkSession, uri: str) -> str:
        """Write every fitted encoding to one JSON file at ``uri``."""
        document = {
            "format_version": _FORMAT_VERSION,
            "encodings": [f.to_dict() for f in self.fitted.values()],
        }
        return io.write_text(spark, uri, json.dumps(document, indent=1))

    @classmethod
    def load(cls, spark: SparkSession, uri: str) -> CategoricalEncoder:
        """Read an encoder written by :meth:`save`."""
        document = json.loads(io.read_text(spark, uri))
        encoder = cls()
        for item in document.get("encodings", []):
            encoder._keep(FittedEncoding.from_dict(item))
        return encoder

    def _keep(self, fitted: FittedEncoding) -> FittedEncoding:
        self.fitted[fitted.output_col] = fitted
        return fitted


def _category_stats(
    df: DataFrame, col_name: str, weight_col: str | None, target_col: str | None, role: str
) -> list[dict[str, Any]]:
    """One grouped aggregation: weight (and weighted target) per category, with input checks."""
    require_categorical(df, col_name, role)
    if target_col is not None:
        if target_col not in df.columns:
            raise FeatureInputError(
                f"{role}: target column '{target_col}' not found; available: {df.columns}"
            )
        require_numeric(df, target_col, f"{role}: target_col")
    if weight_col is not None:
        require_numeric(df, weight_col, f"{role}: weight_col")
    w = col(weight_col).cast("double") if weight_col else F.lit(1.0)
    aggs = [
        F.sum(w).alias("weight"),
        F.min(w).alias("min_weight"),
        F.count(F.when(w.isNull(), 1)).alias("null_weights"),
    ]
    if target_col is not None:
        y = col(target_col).cast("double")
        aggs += [F.sum(w * y).alias("weighted_target"), F.count(F.when(y.isNull(), 1)).alias("null_targets")]
    rows = [r.asDict() for r in df.groupBy(col(col_name).alias("key")).agg(*aggs).collect()]
    if not rows:
        raise FeatureInputError(f"{role} of '{col_name}': the input has no rows")
    if weight_col is not None:
        nulls = sum(r["null_weights"] for r in rows)
        if nulls:
            raise FeatureInputError(
                f"{role}: weight_col '{weight_col}' has {nulls} null value(s); weights must be set"
            )
        lowest = min(r["min_weight"] for r in rows)
        if lowest < 0:
            raise FeatureInputError(
                f"{role}: weight_col '{weight_col}' has negative values (min {lowest}); weights must be >= 0"
            )
        if sum(r["weight"] for r in rows) <= 0:
            raise FeatureInputError(
                f"{role}: weight_col '{weight_col}' sums to 0; at least one weight must be > 0"
            )
    if target_col is not None:
        nulls = sum(r["null_targets"] for r in rows)
        if nulls:
            raise FeatureInputError(f"{role}: target column '{target_col}' has {nulls} null value(s)")
    if isinstance(df.schema[col_name].dataType, StringType):
        rows.sort(key=lambda r: (r["key"] is None, r["key"] or ""))
    else:
        rows.sort(key=lambda r: (r["key"] is None, r["key"] if r["key"] is not None else 0))
    return rows
