"""Categorical encoders with a fit/transform split: frequency, target mean (m-estimate), rare grouping.

Fitting is one grouped aggregation over the data for ALL encoders of a call
(:meth:`CategoricalEncoder.fit_all`): every row is stacked once per distinct (column, weight, target,
folds) "slot" and one ``groupBy(slot, category, fold)`` sums the weights and weighted targets, so
fitting costs about one scan of the columns the encoders read, however many encoders there are.
The fitted mapping (one row per category) is collected to the driver, can be saved as JSON and
loaded again, and is applied with a broadcast join. Defined values for categories the fit never saw:

================  ==========================================  =====================================
encoding          null category                               unseen category
================  ==========================================  =====================================
frequency         a category of its own (its share at fit)    0.0
target mean       the prior                                   the prior
rare grouping     stays null                                  ``other_label``
================  ==========================================  =====================================

Target mean and cross-fitting. The fitted mapping is the m-estimate
``(sum(w*y) + m*prior) / (sum(w) + m)`` over all rows, which is what new data gets
(:meth:`CategoricalEncoder.transform`). Encoding the very rows it was fitted on that way lets a model
see each row's own target through the feature, so with ``cv >= 2`` the fit also keeps out-of-fold
values: rows are split into folds, and a row of fold k gets the m-estimate fitted on the rows of the
other folds (their own prior too; a category with no weight outside fold k gets that prior), applied
by :meth:`CategoricalEncoder.transform_training`. This is scikit-learn's ``TargetEncoder.fit_transform``
with a float ``smooth`` and the same folds. Folds are deterministic: ``pmod(xxhash64(fold_key...), cv)``
in Spark SQL (``fold_key`` defaults to every column of the fit input except map columns; name a
key such as the customer to keep all of its rows in one fold), or the integer ids of a declared
``fold_col`` (ids >= 0, each distinct id one fold, like scikit-learn's ``PredefinedSplit``).
``cv=0`` turns cross-fitting off.

Weights (``weight_col``) must be non-null and >= 0, with a positive total. (scikit-learn's
``TargetEncoder`` and category_encoders 2.11 learn null as a category of its own; here it is the prior.)
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import MapType, StringType

from spark_jobs import io
from spark_jobs.features._checks import (
    col,
    column_type,
    require_categorical,
    require_columns,
    require_numeric,
)
from spark_jobs.features.errors import FeatureInputError

ENCODING_KINDS: tuple[str, ...] = ("frequency", "target_mean", "rare")
DEFAULT_CV = 5
"""Folds of target-mean cross-fitting unless told otherwise (scikit-learn's default too)."""
_KEY = "__encoder_key"
_VALUE = "__encoder_value"
_FOLD = "__encoder_fold"
_LOOKUP_FOLD = "__encoder_lookup_fold"
LITERAL_LOOKUP_MAX = 10_000
"""Most categories applied as a constant map in the plan; more are joined from a broadcast table."""
_FORMAT_VERSION = 1
_ROLES = {"frequency": "frequency encoding", "target_mean": "target mean encoding", "rare": "rare grouping"}
_SUFFIXES = {"frequency": "freq", "target_mean": "target_mean", "rare": "grouped"}
_INTEGRAL = {"tinyint", "smallint", "int", "bigint"}


@dataclass(frozen=True)
class EncodingRequest:
    """What to fit: one encoder (the arguments of the ``fit_*`` methods as one value).

    Attributes:
        kind: ``"frequency"``, ``"target_mean"`` or ``"rare"``.
        column: the categorical input column.
        output_col: the column the encoding adds (default ``<column>_freq|_target_mean|_grouped``).
        target_col: target mean only: the numeric target.
        smoothing: target mean only: the m of the m-estimate (>= 0).
        weight_col: optional non-negative row weights.
        min_frequency: rare only: the least share a category needs to keep its label.
        other_label: rare only: the label of the grouped rare categories.
        cv: target mean only: folds of cross-fitting (0: off; >= 2: on).
        fold_col: target mean only: a declared integer fold column (ids >= 0); overrides ``cv``'s hash.
        fold_key: target mean only: the columns hashed into folds (default: every column of the input).
    """

    kind: str
    column: str
    output_col: str | None = None
    target_col: str | None = None
    smoothing: float = 1.0
    weight_col: str | None = None
    min_frequency: float = 0.01
    other_label: str = "__OTHER__"
    cv: int = DEFAULT_CV
    fold_col: str | None = None
    fold_key: tuple[str, ...] | None = None

    @property
    def output(self) -> str:
        """The output column name."""
        return self.output_col or f"{self.column}_{_SUFFIXES.get(self.kind, self.kind)}"

    @property
    def cross_fitted(self) -> bool:
        """Whether the fit keeps out-of-fold values for the rows it is fitted on."""
        return self.kind == "target_mean" and (self.fold_col is not None or self.cv >= 2)


@dataclass(frozen=True)
class OutOfFold:
    """Out-of-fold target means of the rows a cross-fitted encoding was fitted on.

    Attributes:
        folds: the fold ids seen at fit time.
        priors: per fold (same order), the weighted mean target of the rows outside it.
        entries: ``(fold, category, value)``: the m-estimate fitted outside ``fold`` (the null
            category gets the prior).
    """

    folds: tuple[int, ...]
    priors: tuple[float, ...]
    entries: tuple[tuple[int, Any, float], ...]


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
        params: the fit parameters and statistics (prior, smoothing, weights, counts, folds...).
        out_of_fold: cross-fitted target means only: the values for the rows it was fitted on.
    """

    kind: str
    column: str
    output_col: str
    category_type: str
    categories: tuple[Any, ...]
    values: tuple[Any, ...]
    unseen_value: Any
    params: dict[str, Any] = field(default_factory=dict)
    out_of_fold: OutOfFold | None = None

    def mapping(self) -> dict[Any, Any]:
        """The mapping as a dict (category -> value)."""
        return dict(zip(self.categories, self.values))

    def transform(self, df: DataFrame, output_col: str | None = None) -> DataFrame:
        """Add the encoded column to ``df``: a map-literal lookup for small mappings, else a broadcast join.

        Up to :data:`LITERAL_LOOKUP_MAX` categories the mapping is one constant map in the plan (no
        join, no lookup table built from Python); larger ones join a broadcast table on the
        (null-safe) category.
        """
        out_name = output_col or self.output_col
        require_categorical(df, self.column, f"{self.kind} encoding")
        value_type = "string" if self.kind == "rare" else "double"
        unseen = F.lit(self.unseen_value).cast(value_type)
        kept = [col(c) for c in df.columns if c != out_name]
        if len(self.categories) <= LITERAL_LOOKUP_MAX:
            pairs = [(k, v) for k, v in zip(self.categories, self.values) if k is not None]
            null_value = (
                self.mapping().get(None, self.unseen_value) if None in self.categories else self.unseen_value
            )
            found: Column = F.lit(None).cast(value_type)
            if pairs:
                entries = [
                    e
                    for k, v in pairs
                    for e in (F.lit(k).cast(self.category_type), F.lit(v).cast(value_type))
                ]
                found = F.try_element_at(F.create_map(*entries), col(self.column).cast(self.category_type))
            value = F.when(col(self.column).isNull(), F.lit(null_value).cast(value_type)).otherwise(
                F.coalesce(found, unseen)
            )
            if self.kind == "rare":
                value = F.when(col(self.column).isNull(), F.lit(None).cast("string")).otherwise(value)
            return df.select(*kept, value.alias(out_name))
        lookup = df.sparkSession.createDataFrame(
            list(zip(self.categories, self.values)), f"{_KEY} {self.category_type}, {_VALUE} {value_type}"
        )
        joined = df.join(F.broadcast(lookup), col(self.column).eqNullSafe(F.col(_KEY)), "left")
        value = F.coalesce(F.col(_VALUE), unseen)
        if self.kind == "rare":
            value = F.when(col(self.column).isNull(), F.lit(None).cast("string")).otherwise(value)
        return joined.select(*kept, value.alias(out_name))

    def transform_out_of_fold(self, df: DataFrame, output_col: str | None = None) -> DataFrame:
        """Add the out-of-fold values to the rows this encoding was fitted on (join on category and fold).

        Each row's fold is recomputed from the fold columns, so ``df`` must hold them (its rows may
        carry more columns than the fit input). A row in a fold the fit never saw gets the prior.
        """
        if self.out_of_fold is None:
            raise FeatureInputError(f"encoding '{self.output_col}' was not cross-fitted (cv=0)")
        out_name = output_col or self.output_col
        require_categorical(df, self.column, "target mean encoding")
        fold_cols = [self.params["fold_col"]] if self.params.get("fold_col") else self.params["fold_key"]
        require_columns(df, fold_cols, f"target mean encoding '{self.output_col}': fold columns")
        lookup = df.sparkSession.createDataFrame(
            list(self.out_of_fold.entries),
            f"{_LOOKUP_FOLD} bigint, {_KEY} {self.category_type}, {_VALUE} double",
        )
        joined = df.withColumn(_FOLD, fold_expression(self.params)).join(
            F.broadcast(lookup),
            (F.col(_FOLD) == F.col(_LOOKUP_FOLD)) & col(self.column).eqNullSafe(F.col(_KEY)),
            "left",
        )
        # Every (category, fold) of the fitted rows has an entry; other rows get the prior.
        value = F.coalesce(F.col(_VALUE), F.lit(float(self.unseen_value)))
        kept = [col(c) for c in df.columns if c != out_name]
        return joined.select(*kept, value.alias(out_name))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fitted mapping."""
        document = {
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
        if self.out_of_fold is not None:
            document["out_of_fold"] = {
                "folds": list(self.out_of_fold.folds),
                "priors": list(self.out_of_fold.priors),
                "entries": [list(e) for e in self.out_of_fold.entries],
            }
        return document

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedEncoding:
        """Rebuild a fitted mapping from :meth:`to_dict` output."""
        if data.get("format_version") != _FORMAT_VERSION or data.get("kind") not in ENCODING_KINDS:
            raise FeatureInputError(
                "not a fitted encoding: "
                f"format_version {data.get('format_version')!r}, kind {data.get('kind')!r}"
            )
        oof = data.get("out_of_fold")
        params = dict(data["params"])
        if params.get("fold_key") is not None:
            params["fold_key"] = list(params["fold_key"])
        return cls(
            kind=data["kind"],
            column=data["column"],
            output_col=data["output_col"],
            category_type=data["category_type"],
            categories=tuple(data["categories"]),
            values=tuple(data["values"]),
            unseen_value=data["unseen_value"],
            params=params,
            out_of_fold=None
            if oof is None
            else OutOfFold(
                folds=tuple(oof["folds"]),
                priors=tuple(oof["priors"]),
                entries=tuple((int(f), k, float(v)) for f, k, v in oof["entries"]),
            ),
        )

    def save(self, spark: SparkSession, uri: str) -> str:
        """Write the mapping as JSON to ``uri`` (any Hadoop URI); returns ``uri``."""
        return io.write_text(spark, uri, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, spark: SparkSession, uri: str) -> FittedEncoding:
        """Read a mapping written by :meth:`save`."""
        return cls.from_dict(_read_json(spark, uri))


def fold_expression(params: dict[str, Any]) -> Column:
    """The fold id of a row, as recorded in a cross-fitted encoding's ``params`` (bigint)."""
    if params.get("fold_col"):
        return col(params["fold_col"]).cast("bigint")
    return F.pmod(F.xxhash64(*[col(c) for c in params["fold_key"]]), F.lit(int(params["cv"]))).cast("bigint")


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
        cv: int = DEFAULT_CV,
        fold_col: str | None = None,
        fold_key: Sequence[str] | None = None,
    ) -> DataFrame:
        """Add the m-estimate ``(sum(w*y) + m*prior) / (sum(w) + m)`` of the target per category.

        These are the rows the encoding is fitted on, so with ``cv >= 2`` (the default) or a
        ``fold_col`` each row gets its out-of-fold value; ``cv=0`` gives every row the full-data value.
        """
        fitted = self.fit_target_mean(
            df, col_name, target_col, smoothing, weight_col, output_col, cv, fold_col, fold_key
        )
        return fitted.transform_out_of_fold(df) if fitted.out_of_fold else fitted.transform(df)

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
        request = EncodingRequest("frequency", col_name, output_col, weight_col=weight_col)
        return self.fit_all(df, [request])[0]

    def fit_target_mean(
        self,
        df: DataFrame,
        col_name: str,
        target_col: str,
        smoothing: float = 1.0,
        weight_col: str | None = None,
        output_col: str | None = None,
        cv: int = DEFAULT_CV,
        fold_col: str | None = None,
        fold_key: Sequence[str] | None = None,
    ) -> FittedEncoding:
        """Fit the m-estimate of ``target_col`` per category; ``prior`` is the weighted global mean.

        With unit weights the mapping equals category_encoders' ``MEstimateEncoder(m=smoothing)``;
        with cross-fitting on (see the module docs) the out-of-fold values are kept as well.
        """
        request = EncodingRequest(
            "target_mean",
            col_name,
            output_col,
            target_col=target_col,
            smoothing=smoothing,
            weight_col=weight_col,
            cv=cv,
            fold_col=fold_col,
            fold_key=None if fold_key is None else tuple(fold_key),
        )
        return self.fit_all(df, [request])[0]

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
        request = EncodingRequest(
            "rare", col_name, output_col, weight_col=weight_col, min_frequency=min_frequency,
            other_label=other_label,
        )  # fmt: skip
        return self.fit_all(df, [request])[0]

    def fit_all(self, df: DataFrame, requests: Sequence[EncodingRequest]) -> list[FittedEncoding]:
        """Fit every request with ONE grouped aggregation over ``df``; returns the fits in order.

        Every parameter and column is checked before any data is read.
        """
        checked = [_checked(df, r) for r in requests]
        if not checked:
            return []
        slots: dict[tuple[Any, ...], int] = {}
        for r in checked:
            slots.setdefault(_slot_signature(r), len(slots))
        stats = _stacked_stats(df, list(slots), checked[0])
        fits = []
        for r in checked:
            rows = stats.get(slots[_slot_signature(r)], [])
            category_type = column_type(df, r.column).simpleString()
            fits.append(self._keep(_fit_one(r, rows, category_type, isinstance_string(df, r.column))))
        return fits

    def transform(self, df: DataFrame, output_cols: Sequence[str] | None = None) -> DataFrame:
        """Apply the fitted (full-data) encodings, all or those named in ``output_cols``, in fit order.

        This is the way to encode new data; for the rows the encoders were fitted on use
        :meth:`transform_training`.
        """
        for name in self._names(output_cols):
            df = self.fitted[name].transform(df)
        return df

    def transform_training(self, df: DataFrame, output_cols: Sequence[str] | None = None) -> DataFrame:
        """Encode the rows the encoders were fitted on: cross-fitted target means use out-of-fold values."""
        for name in self._names(output_cols):
            fitted = self.fitted[name]
            df = fitted.transform_out_of_fold(df) if fitted.out_of_fold else fitted.transform(df)
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
        """Read an encoder written by :meth:`save` (a clear error if ``uri`` holds something else)."""
        document = _read_json(spark, uri)
        if not isinstance(document, dict) or document.get("format_version") != _FORMAT_VERSION:
            raise FeatureInputError(
                f"encoders file {uri}: not a saved CategoricalEncoder (expected an object with "
                f"format_version {_FORMAT_VERSION} and 'encodings')"
            )
        encoder = cls()
        for item in document.get("encodings", []):
            encoder._keep(FittedEncoding.from_dict(item))
        return encoder

    def _names(self, output_cols: Sequence[str] | None) -> list[str]:
        names = list(self.fitted) if output_cols is None else list(output_cols)
        unknown = [n for n in names if n not in self.fitted]
        if unknown:
            raise FeatureInputError(f"no fitted encoding for {unknown}; fitted: {list(self.fitted)}")
        return names

    def _keep(self, fitted: FittedEncoding) -> FittedEncoding:
        self.fitted[fitted.output_col] = fitted
        return fitted


def isinstance_string(df: DataFrame, name: str) -> bool:
    """Whether column ``name`` is a string column (categories then sort as strings)."""
    return isinstance(df.schema[name].dataType, StringType)


def _read_json(spark: SparkSession, uri: str) -> Any:
    try:
        return json.loads(io.read_text(spark, uri))
    except json.JSONDecodeError as exc:
        raise FeatureInputError(f"encoders file {uri}: not valid JSON ({exc})") from None


def _checked(df: DataFrame, r: EncodingRequest) -> EncodingRequest:
    """Check one request against its parameters and ``df``'s schema; fill the defaults."""
    if r.kind not in ENCODING_KINDS:
        raise FeatureInputError(f"encoding kind must be one of {list(ENCODING_KINDS)}, got {r.kind!r}")
    role = _ROLES[r.kind]
    require_categorical(df, r.column, role)
    if r.weight_col is not None:
        require_numeric(df, r.weight_col, f"{role}: weight_col")
    if r.kind == "rare":
        m = r.min_frequency
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 <= m <= 1:
            raise FeatureInputError(f"rare grouping: min_frequency must be in [0, 1], got {m!r}")
        if not isinstance(r.other_label, str):
            raise FeatureInputError(f"rare grouping: other_label must be a string, got {r.other_label!r}")
        return replace(r, output_col=r.output, min_frequency=float(m))
    if r.kind == "frequency":
        return replace(r, output_col=r.output)
    s = r.smoothing
    if isinstance(s, bool) or not isinstance(s, (int, float)) or s < 0:
        raise FeatureInputError(f"target mean encoding: smoothing must be a number >= 0, got {s!r}")
    if r.target_col is None or r.target_col not in df.columns:
        raise FeatureInputError(f"{role}: target column '{r.target_col}' not found; available: {df.columns}")
    require_numeric(df, r.target_col, f"{role}: target_col")
    if isinstance(r.cv, bool) or not isinstance(r.cv, int) or r.cv < 0 or r.cv == 1:
        raise FeatureInputError(
            f"{role} '{r.output}': cv must be 0 (no cross-fitting) or an integer >= 2, got {r.cv!r}"
        )
    fold_key: tuple[str, ...] | None = None
    if r.fold_col is not None:
        require_columns(df, [r.fold_col], f"{role} '{r.output}': fold_col")
        if column_type(df, r.fold_col).simpleString() not in _INTEGRAL:
            raise FeatureInputError(
                f"{role} '{r.output}': fold_col '{r.fold_col}' has type "
                f"{column_type(df, r.fold_col).simpleString()}; fold ids must be integers"
            )
    elif r.cv >= 2:
        # Default: the whole row (map columns cannot be hashed in Spark, so they are left out).
        hashable = tuple(f.name for f in df.schema.fields if not isinstance(f.dataType, MapType))
        fold_key = tuple(r.fold_key) if r.fold_key is not None else hashable
        if not fold_key or not all(isinstance(c, str) for c in fold_key):
            raise FeatureInputError(f"{role} '{r.output}': fold_key must be a non-empty list of column names")
        require_columns(df, fold_key, f"{role} '{r.output}': fold_key")
    return replace(r, output_col=r.output, smoothing=float(s), fold_key=fold_key)


def _slot_signature(r: EncodingRequest) -> tuple[Any, ...]:
    """Requests with equal signatures share one stacked slot (frequency and rare of one column)."""
    folds = ("col", r.fold_col) if r.fold_col else ("hash", r.cv, r.fold_key) if r.cross_fitted else None
    target = r.target_col if r.kind == "target_mean" else None
    return (r.column, r.weight_col, target, folds)


def _stacked_stats(
    df: DataFrame, signatures: list[tuple[Any, ...]], first: EncodingRequest
) -> dict[int, list[dict[str, Any]]]:
    """One aggregation for all slots: weight, weighted target, checks per (slot, category, fold)."""
    fields = []
    for slot, (column, weight_col, target_col, folds) in enumerate(signatures):
        w = col(weight_col).cast("double") if weight_col else F.lit(1.0)
        y = col(target_col).cast("double") if target_col else F.lit(0.0)
        if folds is None:
            fold = F.lit(None).cast("bigint")
        elif folds[0] == "col":
            fold = fold_expression({"fold_col": folds[1]})
        else:
            fold = fold_expression({"cv": folds[1], "fold_key": list(folds[2])})
        fields.append(
            [
                F.lit(slot).alias("slot"),
                col(column).cast("string").alias("key"),
                fold.alias("fold"),
                w.alias("w"),
                y.alias("y"),
            ]
        )
    if len(fields) == 1:
        stacked = df.select(*fields[0])
    else:  # every row once per slot; partial aggregation shrinks it before the shuffle
        stacked = df.select(F.inline(F.array(*[F.struct(*f) for f in fields])))
    w, y = F.col("w"), F.col("y")
    grouped = stacked.groupBy("slot", "key", "fold").agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(w).alias("weight"),
        F.min(w).alias("min_weight"),
        F.count(F.when(w.isNull(), 1)).alias("null_weights"),
        F.sum(w * y).alias("weighted_target"),
        F.count(F.when(y.isNull(), 1)).alias("null_targets"),
    )
    rows = [r.asDict() for r in grouped.collect()]
    if not rows:
        raise FeatureInputError(f"{_ROLES[first.kind]} of '{first.column}': the input has no rows")
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["slot"]].append(r)
    return out


def _parse_key(value: str | None, category_type: str) -> Any:
    """A category back from its string form in the stacked aggregation."""
    if value is None or category_type == "string":
        return value
    if category_type == "boolean":
        return value == "true"
    return int(value)


def _per_category(
    rows: Iterable[dict[str, Any]], category_type: str, is_string: bool
) -> list[dict[str, Any]]:
    """Fold the per-(category, fold) rows into per-category totals, in a stable category order."""
    by_key: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_key[_parse_key(r["key"], category_type)].append(r)
    stats = [
        {
            "key": key,
            "weight": math.fsum(p["weight"] or 0.0 for p in parts),
            "weighted_target": math.fsum(p["weighted_target"] or 0.0 for p in parts),
        }
        for key, parts in by_key.items()
    ]
    if is_string:
        stats.sort(key=lambda s: (s["key"] is None, s["key"] or ""))
    else:
        stats.sort(key=lambda s: (s["key"] is None, s["key"] if s["key"] is not None else 0))
    return stats


def _check_rows(r: EncodingRequest, rows: list[dict[str, Any]]) -> None:
    """Data checks of one request on its slot's statistics (weights, targets, folds)."""
    role = _ROLES[r.kind]
    if not rows:
        raise FeatureInputError(f"{role} of '{r.column}': the input has no rows")
    if r.weight_col is not None:
        nulls = sum(p["null_weights"] for p in rows)
        if nulls:
            raise FeatureInputError(
                f"{role}: weight_col '{r.weight_col}' has {nulls} null value(s); weights must be set"
            )
        lowest = min(p["min_weight"] for p in rows)
        if lowest < 0:
            raise FeatureInputError(
                f"{role}: weight_col '{r.weight_col}' has negative values (min {lowest}); "
                "weights must be >= 0"
            )
        if math.fsum(p["weight"] for p in rows) <= 0:
            raise FeatureInputError(
                f"{role}: weight_col '{r.weight_col}' sums to 0; at least one weight must be > 0"
            )
    if r.kind == "target_mean":
        nulls = sum(p["null_targets"] for p in rows)
        if nulls:
            raise FeatureInputError(f"{role}: target column '{r.target_col}' has {nulls} null value(s)")
    if r.fold_col is not None:
        nulls = sum(p["rows"] for p in rows if p["fold"] is None)
        if nulls:
            raise FeatureInputError(f"{role} '{r.output}': fold_col '{r.fold_col}' has {nulls} null value(s)")
        lowest = min(p["fold"] for p in rows)
        if lowest < 0:
            raise FeatureInputError(
                f"{role} '{r.output}': fold_col '{r.fold_col}' has negative ids (min {lowest}); "
                "ids must be >= 0"
            )


def _fit_one(
    r: EncodingRequest, rows: list[dict[str, Any]], category_type: str, is_string: bool
) -> FittedEncoding:
    """Build one fitted encoding from its slot's statistics."""
    _check_rows(r, rows)
    stats = _per_category(rows, category_type, is_string)
    total = math.fsum(s["weight"] for s in stats)
    if r.kind == "frequency":
        return FittedEncoding(
            kind="frequency",
            categories=tuple(s["key"] for s in stats),
            values=tuple(s["weight"] / total for s in stats),
            unseen_value=0.0,
            params={"weight_col": r.weight_col, "total_weight": total},
            column=r.column,
            output_col=r.output,
            category_type=category_type,
        )
    if r.kind == "rare":
        frequent = [s for s in stats if s["key"] is not None and s["weight"] / total >= r.min_frequency]
        return FittedEncoding(
            kind="rare",
            categories=tuple(s["key"] for s in frequent),
            values=tuple(str(s["key"]) for s in frequent),
            unseen_value=r.other_label,
            params={"min_frequency": r.min_frequency, "weight_col": r.weight_col, "total_weight": total},
            column=r.column,
            output_col=r.output,
            category_type=category_type,
        )
    m = r.smoothing
    prior = math.fsum(s["weighted_target"] for s in stats) / total
    seen = [s for s in stats if s["key"] is not None]
    if m == 0 and any(s["weight"] == 0 for s in seen):
        raise FeatureInputError(
            "target mean encoding: smoothing 0 with a zero-weight category divides by zero; use smoothing > 0"
        )
    params: dict[str, Any] = {
        "target_col": r.target_col,
        "smoothing": m,
        "prior": prior,
        "weight_col": r.weight_col,
        "cv": r.cv if r.cross_fitted and r.fold_col is None else 0,
        "fold_col": r.fold_col,
        "fold_key": list(r.fold_key) if r.fold_key is not None else None,
    }
    return FittedEncoding(
        kind="target_mean",
        categories=tuple(s["key"] for s in seen),
        values=tuple((s["weighted_target"] + m * prior) / (s["weight"] + m) for s in seen),
        unseen_value=prior,
        params=params,
        out_of_fold=_out_of_fold(r, rows, category_type) if r.cross_fitted else None,
        column=r.column,
        output_col=r.output,
        category_type=category_type,
    )


def _out_of_fold(r: EncodingRequest, rows: list[dict[str, Any]], category_type: str) -> OutOfFold:
    """For each fold k: the m-estimate fitted on the rows of the other folds (sums without fold k)."""
    cells: dict[tuple[int, Any], tuple[float, float]] = {}
    for p in rows:
        cells[(int(p["fold"]), _parse_key(p["key"], category_type))] = (
            p["weight"] or 0.0,
            p["weighted_target"] or 0.0,
        )
    folds = tuple(sorted({f for f, _ in cells}))
    if len(folds) < 2:
        source = f"fold_col '{r.fold_col}'" if r.fold_col else f"cv={r.cv} over {list(r.fold_key or ())}"
        raise FeatureInputError(
            f"target mean encoding '{r.output}': cross-fitting needs rows in at least 2 folds, "
            f"{source} put every row in fold(s) {list(folds)}; use cv=0 or more varied folds"
        )
    keys = sorted({k for _, k in cells}, key=lambda k: (k is None, str(k)))
    m = r.smoothing
    priors, entries = [], []
    for k in folds:
        outside = [(w, wy) for (f, _), (w, wy) in cells.items() if f != k]
        w_out = math.fsum(w for w, _ in outside)
        if w_out <= 0:
            raise FeatureInputError(
                f"target mean encoding '{r.output}': the rows outside fold {k} have total weight 0"
            )
        prior = math.fsum(wy for _, wy in outside) / w_out
        priors.append(prior)
        for key in keys:
            if key is None:
                entries.append((k, None, prior))
                continue
            parts = [cells[(f, key)] for f in folds if f != k and (f, key) in cells]
            w = math.fsum(p[0] for p in parts)
            wy = math.fsum(p[1] for p in parts)
            entries.append((k, key, prior if w + m == 0 else (wy + m * prior) / (w + m)))
    return OutOfFold(folds=folds, priors=tuple(priors), entries=tuple(entries))
