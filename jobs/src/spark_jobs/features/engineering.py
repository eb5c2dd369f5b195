"""Basic feature engineering from a spec, and data-quality checks.

Derived features are declared as group aggregations (a statistic of a column over the rows
sharing ``group_by``, attached to every row) and row operations (arithmetic on columns of the
same row). A derived feature may use raw columns and other derived features: features are
computed in dependency order, layer by layer (one ``select`` per layer). An unknown input or a
dependency cycle raises :class:`FeatureSpecError` naming it.

Group aggregations are window aggregates over ``partitionBy(group_by)``: one shuffle per distinct
``group_by``, no join. ``distinct_count`` is exact (``size(collect_set)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from spark_jobs.features._checks import as_double, col, require_columns, require_numeric
from spark_jobs.features.errors import FeatureInputError, FeatureSpecError
from spark_jobs.features.feature_validator import EDGE_QUANTILE_ACCURACY

AGGREGATIONS: tuple[str, ...] = ("count", "sum", "mean", "min", "max", "std", "distinct_count")
ROW_OPERATIONS: tuple[str, ...] = ("ratio", "difference", "product", "log1p", "sqrt", "clip")
_ARITY = {"ratio": 2, "difference": 2, "product": 2, "log1p": 1, "sqrt": 1, "clip": 1}


@dataclass(frozen=True)
class GroupAggregation:
    """``agg`` of ``column`` over the rows sharing ``group_by``, added to each row as ``name``.

    ``count`` counts non-null values of ``column`` (all rows when ``column`` is None); ``std`` is
    the sample standard deviation (ddof 1, null for a single value).
    """

    name: str
    group_by: tuple[str, ...]
    agg: str
    column: str | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Columns this feature reads."""
        return (*self.group_by, *([self.column] if self.column else []))


@dataclass(frozen=True)
class RowOperation:
    """``op`` applied to ``inputs`` of the same row, added as ``name``.

    ``ratio`` = a / b (null when b is 0), ``difference`` = a - b, ``product`` = a * b,
    ``log1p`` = ln(1 + a) (null for a <= -1), ``sqrt`` (null for a < 0),
    ``clip`` = a limited to [``lower``, ``upper``] (either may be omitted).
    """

    name: str
    op: str
    inputs: tuple[str, ...]
    lower: float | None = None
    upper: float | None = None


DerivedFeature = Union[GroupAggregation, RowOperation]
"""A derived feature: a group aggregation or a row operation."""


def parse_group_aggregation(item: Mapping[str, Any]) -> GroupAggregation:
    """Build a :class:`GroupAggregation` from its spec entry, with errors naming the entry."""
    name = _name(item, "group_aggregations")
    agg = item.get("agg")
    if agg not in AGGREGATIONS:
        raise FeatureSpecError(
            f"group aggregation '{name}': agg must be one of {list(AGGREGATIONS)}, got {agg!r}"
        )
    group_by = item.get("group_by")
    if isinstance(group_by, str):
        group_by = [group_by]
    if not group_by or not all(isinstance(g, str) for g in group_by):
        raise FeatureSpecError(
            f"group aggregation '{name}': group_by must be a non-empty list of column names"
        )
    column = item.get("column")
    if column is None and agg != "count":
        raise FeatureSpecError(f"group aggregation '{name}': column is required for agg '{agg}'")
    _no_extra(item, {"name", "agg", "group_by", "column"}, f"group aggregation '{name}'")
    return GroupAggregation(name=name, group_by=tuple(group_by), agg=agg, column=column)


def parse_row_operation(item: Mapping[str, Any]) -> RowOperation:
    """Build a :class:`RowOperation` from its spec entry, with errors naming the entry."""
    name = _name(item, "row_operations")
    op = item.get("op")
    if op not in ROW_OPERATIONS:
        raise FeatureSpecError(
            f"row operation '{name}': op must be one of {list(ROW_OPERATIONS)}, got {op!r}"
        )
    inputs = item.get("inputs")
    if isinstance(inputs, str):
        inputs = [inputs]
    if (
        not isinstance(inputs, list)
        or len(inputs) != _ARITY[op]
        or not all(isinstance(i, str) for i in inputs)
    ):
        raise FeatureSpecError(
            f"row operation '{name}': op '{op}' takes {_ARITY[op]} input column(s), got {inputs!r}"
        )
    lower, upper = item.get("lower"), item.get("upper")
    if op == "clip":
        for key, value in (("lower", lower), ("upper", upper)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise FeatureSpecError(f"row operation '{name}': {key} must be a number, got {value!r}")
        if lower is None and upper is None:
            raise FeatureSpecError(f"row operation '{name}': clip needs lower and/or upper")
        if lower is not None and upper is not None and lower > upper:
            raise FeatureSpecError(f"row operation '{name}': lower {lower} is greater than upper {upper}")
    _no_extra(item, {"name", "op", "inputs", "lower", "upper"}, f"row operation '{name}'")
    return RowOperation(
        name=name,
        op=op,
        inputs=tuple(inputs),
        lower=None if lower is None else float(lower),
        upper=None if upper is None else float(upper),
    )


def dependency_layers(
    features: Sequence[DerivedFeature], available: Iterable[str]
) -> list[list[DerivedFeature]]:
    """Order ``features`` (objects with ``name`` and ``inputs``) into layers computable in turn.

    Raises:
        FeatureSpecError: a duplicate or clashing name, an input that is neither available nor
            another feature, or a dependency cycle (the message lists the cycle).
    """
    available = set(available)
    by_name: dict[str, DerivedFeature] = {}
    for f in features:
        if f.name in by_name:
            raise FeatureSpecError(f"feature '{f.name}' is declared twice")
        if f.name in available:
            raise FeatureSpecError(f"feature '{f.name}' clashes with an existing column of that name")
        by_name[f.name] = f
    for f in features:
        for i in f.inputs:
            if i not in available and i not in by_name:
                raise FeatureSpecError(
                    f"feature '{f.name}' uses unknown input '{i}' "
                    "(not a column of the input and not a declared feature)"
                )
    layers: list[list[DerivedFeature]] = []
    done = set(available)
    pending = list(features)
    while pending:
        ready = [f for f in pending if all(i in done for i in f.inputs)]
        if not ready:
            raise FeatureSpecError(f"dependency cycle among derived features: {_cycle(pending)}")
        layers.append(ready)
        done.update(f.name for f in ready)
        pending = [f for f in pending if f.name not in done]
    return layers


def add_derived_features(df: DataFrame, features: Sequence[DerivedFeature]) -> DataFrame:
    """Add every group aggregation and row operation in ``features`` in dependency order.

    The new columns follow the input's columns in the order ``features`` declares them.
    """
    original = list(df.columns)
    for layer in dependency_layers(features, original):
        for f in layer:
            _check_types(df, f)
        df = df.select(*[col(c) for c in df.columns], *[_expr(f).alias(f.name) for f in layer])
    return df.select(*[col(c) for c in [*original, *(f.name for f in features)]])


def _check_types(df: DataFrame, f: DerivedFeature) -> None:
    if isinstance(f, GroupAggregation):
        require_columns(df, f.inputs, f"group aggregation '{f.name}'")
        if f.column is not None and f.agg not in ("count", "distinct_count"):
            require_numeric(df, f.column, f"group aggregation '{f.name}'")
    else:
        for i in f.inputs:
            require_numeric(df, i, f"row operation '{f.name}'")


def _expr(f: DerivedFeature) -> Column:
    if isinstance(f, GroupAggregation):
        w = Window.partitionBy(*[col(g) for g in f.group_by])
        if f.agg == "count":
            return F.count(col(f.column) if f.column else F.lit(1)).over(w)
        # parse_group_aggregation requires a column for every aggregation but count.
        assert f.column is not None
        if f.agg == "distinct_count":
            return F.size(F.collect_set(col(f.column)).over(w))
        x = as_double(f.column)
        fn = {"sum": F.sum, "mean": F.avg, "min": F.min, "max": F.max, "std": F.stddev_samp}[f.agg]
        return fn(x).over(w)
    a = as_double(f.inputs[0])
    # parse_row_operation gives the two-input operations exactly two inputs; b stands for a itself otherwise.
    b = as_double(f.inputs[1]) if len(f.inputs) > 1 else a
    if f.op == "ratio":
        return F.try_divide(a, b)
    if f.op == "difference":
        return a - b
    if f.op == "product":
        return a * b
    if f.op == "log1p":
        return F.when(a > -1.0, F.log1p(a))
    if f.op == "sqrt":
        return F.when(a >= 0.0, F.sqrt(a))
    clipped = a
    if f.lower is not None:
        clipped = F.when(clipped < F.lit(f.lower), F.lit(f.lower)).otherwise(clipped)
    if f.upper is not None:
        clipped = F.when(clipped > F.lit(f.upper), F.lit(f.upper)).otherwise(clipped)
    return clipped


def _cycle(pending: Sequence[DerivedFeature]) -> str:
    """One dependency cycle among ``pending`` features, as 'a -> b -> a'."""
    graph = {f.name: [i for i in f.inputs if i in {p.name for p in pending}] for f in pending}
    start = pending[0].name
    path: list[str] = []
    node = start
    while node not in path:
        path.append(node)
        node = graph[node][0]
    loop = [*path[path.index(node) :], node]
    return " -> ".join(loop)


def _name(item: Mapping[str, Any], section: str) -> str:
    if not isinstance(item, Mapping):
        raise FeatureSpecError(f"{section}: each entry must be an object, got {item!r}")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise FeatureSpecError(f"{section}: every entry needs a non-empty 'name', got {item!r}")
    return name


def _no_extra(item: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(item) - allowed)
    if extra:
        raise FeatureSpecError(f"{where}: unknown key(s) {extra}; allowed: {sorted(allowed)}")


# --------------------------------------------------------------------------- data quality


@dataclass(frozen=True)
class QualityReport:
    """Data-quality findings: duplicate rows, declared range violations and IQR outliers."""

    rows: int
    duplicate_rows: int
    ranges: dict[str, dict[str, Any]] = field(default_factory=dict)
    iqr_outliers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "rows": self.rows,
            "duplicate_rows": self.duplicate_rows,
            "duplicate_rate": self.duplicate_rows / self.rows if self.rows else 0.0,
            "ranges": self.ranges,
            "iqr_outliers": self.iqr_outliers,
        }


def data_quality_checks(
    df: DataFrame,
    ranges: Mapping[str, Sequence[float | None]] | None = None,
    iqr_columns: Sequence[str] | None = None,
    duplicate_subset: Sequence[str] | None = None,
    iqr_k: float = 1.5,
) -> QualityReport:
    """Count duplicate rows, values outside declared ranges, and IQR outliers.

    Args:
        df: the data.
        ranges: column -> ``[min, max]`` (inclusive; either may be None); non-null values outside
            count as violations.
        iqr_columns: numeric columns checked for values outside ``[q1 - k*iqr, q3 + k*iqr]``, with
            q1/q3 Spark's approximate percentiles (nearest rank, rank error <= 1e-4).
        duplicate_subset: columns that define a duplicate (default: all columns); a duplicate row
            is any row after the first of its kind (pandas ``duplicated().sum()``).
        iqr_k: the IQR multiplier.

    Three passes at most: quartiles, one aggregation for all range and outlier counts, and one
    distinct count.
    """
    ranges = dict(ranges or {})
    iqr_columns = list(iqr_columns or [])
    for name, bounds in ranges.items():
        require_numeric(df, name, "data quality: ranges")
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise FeatureInputError(f"data quality: range for '{name}' must be [min, max], got {bounds!r}")
    for name in iqr_columns:
        require_numeric(df, name, "data quality: iqr_columns")
    subset = list(duplicate_subset) if duplicate_subset else df.columns
    require_columns(df, subset, "data quality: duplicate_subset")
    if isinstance(iqr_k, bool) or not isinstance(iqr_k, (int, float)) or iqr_k < 0:
        raise FeatureInputError(f"data quality: iqr_k must be a number >= 0, got {iqr_k!r}")

    quartiles: dict[str, tuple[float, float]] = {}
    if iqr_columns:
        qrow = df.agg(
            *[
                F.percentile_approx(as_double(c), [0.25, 0.75], EDGE_QUANTILE_ACCURACY).alias(f"q{i}")
                for i, c in enumerate(iqr_columns)
            ]
        ).collect()[0]
        for i, c in enumerate(iqr_columns):
            q = qrow[f"q{i}"]
            if q:
                quartiles[c] = (float(q[0]), float(q[1]))
    counts = [F.count(F.lit(1)).alias("__rows")]
    for i, (name, (lo, hi)) in enumerate(ranges.items()):
        x = as_double(name)
        outside = F.lit(False)
        if lo is not None:
            outside = outside | (x < F.lit(float(lo)))
        if hi is not None:
            outside = outside | (x > F.lit(float(hi)))
        counts.append(F.count(F.when(outside, 1)).alias(f"r{i}"))
    for i, name in enumerate(iqr_columns):
        if name in quartiles:
            q1, q3 = quartiles[name]
            lo, hi = q1 - iqr_k * (q3 - q1), q3 + iqr_k * (q3 - q1)
            x = as_double(name)
            counts.append(F.count(F.when((x < lo) | (x > hi), 1)).alias(f"o{i}"))
    crow = df.agg(*counts).collect()[0]
    rows = int(crow["__rows"])
    distinct = df.select(*[col(c) for c in subset]).distinct().count() if rows else 0
    range_report = {
        name: {
            "min": lo,
            "max": hi,
            "violations": int(crow[f"r{i}"]),
            "violation_rate": int(crow[f"r{i}"]) / rows if rows else 0.0,
        }
        for i, (name, (lo, hi)) in enumerate(ranges.items())
    }
    iqr_report: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(iqr_columns):
        if name not in quartiles:
            iqr_report[name] = {
                "q1": None,
                "q3": None,
                "iqr": None,
                "lower": None,
                "upper": None,
                "outliers": 0,
            }
            continue
        q1, q3 = quartiles[name]
        iqr = q3 - q1
        outliers = int(crow[f"o{i}"])
        iqr_report[name] = {
            "q1": q1,
            "q3": q3,
            "iqr": iqr,
            "lower": q1 - iqr_k * iqr,
            "upper": q3 + iqr_k * iqr,
            "outliers": outliers,
            "outlier_rate": outliers / rows if rows else 0.0,
        }
    return QualityReport(
        rows=rows, duplicate_rows=rows - distinct, ranges=range_report, iqr_outliers=iqr_report
    )
