"""Feature validation: per-feature statistics in two passes, and the Population Stability Index.

``validate_features`` reads the data exactly twice whatever the number of columns: one
aggregation (counts, min/max, mean and Spark's native moments), then one pass for the sketches:
distinct counts, the 1st/99th percentiles and, with weights, the weighted central moments
around the first pass's mean (which keeps them numerically stable). Cache the input if it is
expensive to recompute.

PSI (``compute_psi``) compares an actual distribution with an expected (reference) one:
``PSI = sum((a_i - e_i) * ln(a_i / e_i))`` over bins, with ``e_i``/``a_i`` the (weighted)
shares of the expected/actual data in bin ``i``. The usual reading:

* PSI < 0.1: stable, no significant change;
* 0.1 <= PSI <= 0.25: some shift, watch it;
* PSI > 0.25: the distribution has shifted; investigate before trusting the model.

Numeric bins are cut at the expected data's quantiles ``1/bins, ..., (bins-1)/bins`` (duplicate
edges merged; the outer bins are open-ended, each bin is ``(lower, upper]``). String and boolean
columns use one bin per category (the union of both sides). Nulls form a bin of their own when
either side has any. A share below ``1e-4`` (in particular an empty bin) is raised to ``1e-4``
before the logarithm, without renormalising, so one empty bin cannot make PSI infinite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, NumericType, StringType

from spark_jobs.features._checks import as_double, col, require_columns, require_int, require_numeric
from spark_jobs.features.errors import FeatureInputError

STAT_COLUMNS: tuple[str, ...] = (
    "missing_rate",
    "unique_count",
    "zero_variance",
    "min",
    "max",
    "mean",
    "std",
    "p01",
    "p99",
    "skewness",
    "kurtosis",
)
"""The statistics of :meth:`ValidationResult.to_dataframe`, in order."""

PSI_FLOOR = 1e-4
"""Smallest bin share used in PSI (empty bins are raised to it)."""

DISTINCT_LG_K = 14
"""log2 of the HLL sketch size for ``unique_count``: relative standard error 1.04 / 2^7 = 0.8%.

A DataSketches HLL (``hll_sketch_agg``, an object buffer) instead of ``approx_count_distinct``,
whose 1% setting puts thousands of buffer fields into generated code and costs tens of
seconds of compilation per query on small data. It runs in pass 2 with the percentiles, so
pass 1 holds only code-generated declarative aggregates.
"""

QUANTILE_ACCURACY = 1_000
"""``percentile_approx`` accuracy of ``validate_features``: rank error at most 1 / accuracy = 0.1%."""

EDGE_QUANTILE_ACCURACY = 10_000
"""Accuracy of the single-column quantiles (PSI bin edges, IQR quartiles): rank error <= 0.01%."""


@dataclass(frozen=True)
class ValidationResult:
    """Per-feature statistics; ``rows`` counts the input rows, ``weighted`` says whether weights were used."""

    stats: dict[str, dict[str, Any]]
    rows: int
    weighted: bool

    def to_dataframe(self) -> pd.DataFrame:
        """One row per feature (index ``feature``), columns :data:`STAT_COLUMNS`."""
        frame = pd.DataFrame.from_dict(self.stats, orient="index", columns=list(STAT_COLUMNS))
        frame.index.name = "feature"
        return frame

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready records (NaN becomes None)."""
        out = []
        for feature, stats in self.stats.items():
            record: dict[str, Any] = {"feature": feature}
            for key in STAT_COLUMNS:
                value = stats[key]
                record[key] = None if isinstance(value, float) and math.isnan(value) else value
            out.append(record)
        return out


@dataclass(frozen=True)
class PsiResult:
    """PSI of one column; ``breakdown`` (one row per bin) is set when requested."""

    column: str
    psi: float
    bins: int
    breakdown: pd.DataFrame | None = None

    @property
    def reading(self) -> str:
        """``"stable"`` (< 0.1), ``"watch"`` (0.1-0.25) or ``"shifted"`` (> 0.25)."""
        if self.psi < 0.1:
            return "stable"
        return "watch" if self.psi <= 0.25 else "shifted"


class FeatureValidator:
    """Statistics and drift checks for feature columns (see the module docs for the method)."""

    def validate_features(
        self, df: DataFrame, columns: Sequence[str] | None = None, weight_col: str | None = None
    ) -> ValidationResult:
        """Compute :data:`STAT_COLUMNS` for ``columns`` (default: every numeric column but the weight).

        Weights (frequency weights, as if each row were repeated ``w`` times) apply to
        ``missing_rate``, ``mean``, ``std`` (``sum(w (x-m)^2) / (sum(w) - 1)``), ``skewness`` and
        ``kurtosis``; ``min``, ``max``, ``unique_count`` and the percentiles ignore them (Spark's
        quantile sketch takes no weights). String and boolean columns get ``missing_rate``,
        ``unique_count`` and ``zero_variance`` only (the rest is NaN). NaN counts as missing.
        """
        names = self._columns(df, columns, weight_col)
        w = _weight(df, weight_col)
        first = self._first_pass(df, names, w)
        rows = int(first["__rows"])
        total_w = float(first["__total_w"] or 0.0)
        if rows == 0:
            raise FeatureInputError("validate_features: the input has no rows")
        if weight_col is not None:
            _check_weights(first, weight_col)
        numeric = [c for c in names if _is_numeric(df, c)]
        means = {c: first[f"{c}__wmean"] for c in numeric} if weight_col else {}
        second = self._second_pass(df, names, w, means, weight_col is not None)
        first.update({k: v for k, v in second.items() if k.endswith("__unique")})
        stats = {
            c: self._stats(c, first, second, total_w, c in numeric, weight_col is not None) for c in names
        }
        return ValidationResult(stats=stats, rows=rows, weighted=weight_col is not None)

    def compute_psi(
        self,
        expected_df: DataFrame,
        actual_df: DataFrame,
        column: str,
        bins: int = 10,
        weight_col: str | None = None,
        breakdown: bool = False,
    ) -> PsiResult:
        """PSI of ``column`` between ``expected_df`` (reference) and ``actual_df`` (current).

        ``bins`` quantile bins come from the expected data (numeric columns); ``weight_col``, if
        given, must exist on both sides and weights the shares (not the bin edges). With
        ``breakdown=True`` the result carries one row per bin: edges or category, both shares
        (raw and floored) and the bin's contribution to PSI.
        """
        require_int("compute_psi: bins", bins, 2)
        for side, frame in (("expected", expected_df), ("actual", actual_df)):
            require_columns(frame, [column], f"compute_psi ({side})")
            if weight_col is not None:
                require_numeric(frame, weight_col, f"compute_psi ({side}): weight_col")
        categorical = isinstance(expected_df.schema[column].dataType, (StringType, BooleanType))
        if not categorical:
            require_numeric(expected_df, column, "compute_psi (expected)")
            require_numeric(actual_df, column, "compute_psi (actual)")
            edges = self._edges(expected_df, column, bins)
            key = _bin_index(as_double(column), edges)
        else:
            edges = []
            key = col(column).cast("string")
        e_shares = _shares(expected_df, key, weight_col, "expected")
        a_shares = _shares(actual_df, key, weight_col, "actual")
        table = _psi_table(e_shares, a_shares, edges, categorical)
        psi = float(table["contribution"].sum())
        return PsiResult(column=column, psi=psi, bins=len(table), breakdown=table if breakdown else None)

    # internals
    @staticmethod
    def _columns(df: DataFrame, columns: Sequence[str] | None, weight_col: str | None) -> list[str]:
        if weight_col is not None:
            require_numeric(df, weight_col, "validate_features: weight_col")
        if columns is None:
            names = [f.name for f in df.schema.fields if _is_numeric(df, f.name) and f.name != weight_col]
            if not names:
                raise FeatureInputError(f"validate_features: no numeric columns in {df.columns}")
            return names
        if isinstance(columns, str):
            columns = [columns]
        require_columns(df, columns, "validate_features")
        for name in columns:
            if not _is_numeric(df, name) and not isinstance(df.schema[name].dataType, StringType):
                raise FeatureInputError(
                    f"validate_features: column '{name}' has type {df.schema[name].dataType.simpleString()}; "
                    "numeric, boolean or string columns are supported"
                )
        return list(dict.fromkeys(columns))

    @staticmethod
    def _stacked(df: DataFrame, names: list[str], w: Column) -> DataFrame:
        """Rows (f, x, s, w): one per input row and column, ``x`` numeric values, ``s`` strings.

        Aggregating per ``f`` keeps the generated code the same size however many columns there
        are (a wide aggregation of 25 columns' moments spends most of its time compiling).
        """
        fields = []
        for name in names:
            numeric = _is_numeric(df, name)
            x = as_double(name) if numeric else F.lit(None).cast("double")
            s = F.lit(None).cast("string") if numeric else col(name).cast("string")
            fields.append(F.struct(F.lit(name).alias("f"), x.alias("x"), s.alias("s")))
        return df.select(F.explode(F.array(*fields)).alias("kv"), w.alias("w")).select("kv.*", "w")

    @classmethod
    def _first_pass(cls, df: DataFrame, names: list[str], w: Column) -> dict[str, Any]:
        """Pass 1: counts, extremes and moments per column, as ``<column>__<stat>``.

        Only declarative aggregates, so Spark runs it as a code-generated hash aggregate; the
        sketches (object aggregates) wait for pass 2.
        """
        stacked = cls._stacked(df, names, w)
        x, s, w = F.col("x"), F.col("s"), F.col("w")
        present = x.isNotNull() | s.isNotNull()
        rows = (
            stacked.groupBy("f")
            .agg(
                F.count(F.lit(1)).alias("rows"),
                F.sum(w).alias("total_w"),
                F.min(w).alias("min_w"),
                F.count(F.when(w.isNull(), 1)).alias("null_w"),
                F.sum(F.when(present, F.lit(0.0)).otherwise(w)).alias("missing_w"),
                F.count(F.when(present, 1)).alias("count"),
                F.min(x).alias("min"),
                F.max(x).alias("max"),
                F.avg(x).alias("mean"),
                F.stddev_samp(x).alias("std"),
                F.skewness(x).alias("skew"),
                F.kurtosis(x).alias("kurt"),
                F.sum(F.when(x.isNotNull(), w)).alias("w"),
                F.try_divide(F.sum(w * x), F.sum(F.when(x.isNotNull(), w))).alias("wmean"),
            )
            .collect()
        )
        first: dict[str, Any] = {"__rows": 0, "__total_w": 0.0, "__min_w": None, "__null_w": 0}
        for r in rows:
            d = r.asDict()
            first.update({f"{d['f']}__{k}": v for k, v in d.items() if k != "f"})
            first.update(__rows=d["rows"], __total_w=d["total_w"], __min_w=d["min_w"], __null_w=d["null_w"])
        return first

    @classmethod
    def _second_pass(
        cls, df: DataFrame, names: list[str], w: Column, means: dict[str, Any], weighted: bool
    ) -> dict[str, Any]:
        """Pass 2: distinct-count sketches, percentiles and (with weights) central moments."""
        stacked = cls._stacked(df, names, w)
        x, s, w = F.col("x"), F.col("s"), F.col("w")
        digest = F.when(x.isNotNull(), F.xxhash64(x)).when(s.isNotNull(), F.xxhash64(s))
        aggs = [
            F.hll_sketch_estimate(F.hll_sketch_agg(digest, DISTINCT_LG_K)).alias("unique"),
            F.percentile_approx(x, [0.01, 0.99], QUANTILE_ACCURACY).alias("pct"),
        ]
        if weighted:
            pairs = [v for n in names for v in (F.lit(n), F.lit(_num(means.get(n))))]
            d = x - F.create_map(*pairs)[F.col("f")]
            aggs += [F.sum(w * F.pow(d, F.lit(float(k)))).alias(f"m{k}") for k in (2, 3, 4)]
        second: dict[str, Any] = {}
        for r in stacked.groupBy("f").agg(*aggs).collect():
            d = r.asDict()
            second.update({f"{d['f']}__{k}": v for k, v in d.items() if k != "f"})
        return second

    @staticmethod
    def _stats(
        name: str,
        first: dict[str, Any],
        second: dict[str, Any] | None,
        total_w: float,
        numeric: bool,
        weighted: bool,
    ) -> dict[str, Any]:
        nan = float("nan")
        count = int(first[f"{name}__count"])
        stats: dict[str, Any] = {
            "missing_rate": float(first[f"{name}__missing_w"]) / total_w if total_w > 0 else nan,
            "unique_count": int(first[f"{name}__unique"]),
        }
        if not numeric:
            stats["zero_variance"] = stats["unique_count"] <= 1
            stats.update({k: nan for k in STAT_COLUMNS if k not in stats})
            return stats
        lo, hi = first[f"{name}__min"], first[f"{name}__max"]
        stats.update(min=_num(lo), max=_num(hi), zero_variance=count == 0 or lo == hi)
        pct = second.get(f"{name}__pct") if second is not None else None
        stats["p01"], stats["p99"] = (_num(pct[0]), _num(pct[1])) if pct else (nan, nan)
        if not weighted:
            stats.update(
                mean=_num(first[f"{name}__mean"]),
                std=_num(first[f"{name}__std"]),
                skewness=_num(first[f"{name}__skew"]),
                kurtosis=_num(first[f"{name}__kurt"]),
            )
            return stats
        sw = _num(first[f"{name}__w"])
        stats["mean"] = _num(first[f"{name}__wmean"])
        moments = second or {}
        m2, m3, m4 = (_num(moments.get(f"{name}__m{k}")) for k in (2, 3, 4))
        stats["std"] = math.sqrt(m2 / (sw - 1.0)) if sw > 1.0 and m2 == m2 else nan
        # Biased (population) moments, as scipy's skew/kurtosis with bias=True and Spark's natives.
        c2 = m2 / sw if sw > 0 else nan
        positive = c2 == c2 and c2 > 0
        stats["skewness"] = (m3 / sw) / c2**1.5 if positive else nan
        stats["kurtosis"] = (m4 / sw) / c2**2 - 3.0 if positive else nan
        return stats

    @staticmethod
    def _edges(df: DataFrame, column: str, bins: int) -> list[float]:
        probs = [i / bins for i in range(1, bins)]
        row = df.agg(F.percentile_approx(as_double(column), probs, EDGE_QUANTILE_ACCURACY).alias("q")).first()
        values = row["q"] if row is not None else None
        if not values:
            raise FeatureInputError(f"compute_psi: expected data has no non-null values in '{column}'")
        return sorted(set(float(v) for v in values))


def _is_numeric(df: DataFrame, name: str) -> bool:
    return isinstance(df.schema[name].dataType, (NumericType, BooleanType))


def _weight(df: DataFrame, weight_col: str | None) -> Column:
    return col(weight_col).cast("double") if weight_col else F.lit(1.0)


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _check_weights(first: dict[str, Any], weight_col: str) -> None:
    if first["__null_w"]:
        raise FeatureInputError(f"weight_col '{weight_col}' has {first['__null_w']} null value(s)")
    if first["__min_w"] is not None and first["__min_w"] < 0:
        raise FeatureInputError(f"weight_col '{weight_col}' has negative values (min {first['__min_w']})")
    if not first["__total_w"] or first["__total_w"] <= 0:
        raise FeatureInputError(f"weight_col '{weight_col}' sums to 0; at least one weight must be > 0")


def _bin_index(x: Column, edges: list[float]) -> Column:
    """Bin number of ``x`` for bins (-inf, e0], (e0, e1], ..., (e_last, inf); null stays null."""
    index: Column = F.lit(len(edges))
    for i in reversed(range(len(edges))):
        index = F.when(x <= F.lit(edges[i]), F.lit(i)).otherwise(index)
    return F.when(x.isNull(), F.lit(None).cast("int")).otherwise(index)


def _shares(df: DataFrame, key: Column, weight_col: str | None, side: str) -> dict[Any, float]:
    w = _weight(df, weight_col)
    rows = df.groupBy(key.alias("bin")).agg(F.sum(w).alias("w"), F.min(w).alias("min_w")).collect()
    total = sum(float(r["w"] or 0.0) for r in rows)
    if not rows or total <= 0:
        raise FeatureInputError(f"compute_psi: the {side} data has no rows (or zero total weight)")
    if weight_col is not None and min(r["min_w"] for r in rows if r["min_w"] is not None) < 0:
        raise FeatureInputError(
            f"compute_psi: weight_col '{weight_col}' has negative values in the {side} data"
        )
    return {r["bin"]: float(r["w"] or 0.0) / total for r in rows}


def _psi_table(
    expected: dict[Any, float], actual: dict[Any, float], edges: list[float], categorical: bool
) -> pd.DataFrame:
    keys: list[Any]
    if categorical:
        keys = sorted(k for k in set(expected) | set(actual) if k is not None)
    else:
        keys = list(range(len(edges) + 1))
    if None in expected or None in actual:
        keys.append(None)
    records = []
    for k in keys:
        e_raw, a_raw = expected.get(k, 0.0), actual.get(k, 0.0)
        e, a = max(e_raw, PSI_FLOOR), max(a_raw, PSI_FLOOR)
        record: dict[str, Any] = {"bin": "missing" if k is None else (k if categorical else int(k))}
        if not categorical:
            lower = -math.inf if k is None or k == 0 else edges[k - 1]
            upper = math.inf if k is None or k == len(edges) else edges[k]
            record.update(lower=math.nan if k is None else lower, upper=math.nan if k is None else upper)
        record.update(
            expected_share=e_raw,
            actual_share=a_raw,
            expected_floored=e,
            actual_floored=a,
            contribution=(a - e) * math.log(a / e),
        )
        records.append(record)
    return pd.DataFrame.from_records(records)
