"""Feature validation: per-feature statistics in two passes, and the Population Stability Index.

``validate_features`` reads the data exactly twice whatever the number of columns, each pass one
``mapInArrow`` over Arrow batches with numpy (:mod:`spark_jobs.features._column_sketches`), so
no code is generated per column. Pass 1: counts, min/max, mean and central moments (plain and
weighted, merged across partitions with Pébay's pairwise formulas), HyperLogLog distinct counts
and each chunk's exact 1st/99th percentiles. Pass 2: the global percentile lies between the
smallest and largest chunk percentile, so it counts the values below that bracket and collects
the few inside it: the percentiles are exact (rank error at most 1 / ``QUANTILE_ACCURACY`` when
the data is ordered by a column and the bracket is wide). Cache the input if it is expensive to
recompute.

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
from spark_jobs.features._column_sketches import (
    HLL_P,
    QUANTILES,
    Bracket,
    ColumnSummary,
    PartitionSummary,
    QuantileWindow,
    SummarizeColumns,
    bracket_stride,
    hll_estimate,
    locate_quantile,
    read_blobs,
)
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

_BLOB = "blob binary"

PSI_FLOOR = 1e-4
"""Smallest bin share used in PSI (empty bins are raised to it)."""

DISTINCT_LG_K = HLL_P
"""log2 of the HyperLogLog register count for ``unique_count``: relative standard error 1.04 / 2^7 = 0.8%."""

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

    last_result: ValidationResult | None = None
    """The result of the latest :meth:`validate_features` call (read by :meth:`to_dataframe`)."""

    def to_dataframe(self, result: ValidationResult | None = None) -> pd.DataFrame:
        """``result.to_dataframe()``, default the latest :meth:`validate_features` result (original API)."""
        chosen = result if result is not None else self.last_result
        if chosen is None:
            raise ValueError("to_dataframe: call validate_features first (or pass its result)")
        return chosen.to_dataframe()

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
        summary, partitions = self._first_pass(df, names, weight_col)
        if summary.rows == 0:
            raise FeatureInputError("validate_features: the input has no rows")
        if weight_col is not None:
            _check_weights(summary, weight_col)
        quantiles = self._second_pass(df, summary, partitions)
        stats = {
            name: self._stats(
                summary.columns[name], summary.total_w, quantiles.get(name), weight_col is not None
            )
            for name in names
        }
        rows = summary.rows
        self.last_result = ValidationResult(stats=stats, rows=rows, weighted=weight_col is not None)
        return self.last_result

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
        return self.compute_psi_many(expected_df, actual_df, [column], bins, weight_col, breakdown)[0]

    def compute_psi_many(
        self,
        expected_df: DataFrame,
        actual_df: DataFrame,
        columns: Sequence[str],
        bins: int = 10,
        weight_col: str | None = None,
        breakdown: bool = False,
    ) -> list[PsiResult]:
        """:meth:`compute_psi` of every column in ``columns``, in three Spark jobs whatever their number.

        One aggregation finds every numeric column's bin edges in the expected data; one grouped
        aggregation per side counts the shares of every (column, bin). Each column's result is the
        one it gets alone (:meth:`compute_psi` is this method for one column).
        """
        require_int("compute_psi: bins", bins, 2)
        names = list(dict.fromkeys([columns] if isinstance(columns, str) else columns))
        for side, frame in (("expected", expected_df), ("actual", actual_df)):
            require_columns(frame, names, f"compute_psi ({side})")
            if weight_col is not None:
                require_numeric(frame, weight_col, f"compute_psi ({side}): weight_col")
        categorical = {
            c: isinstance(expected_df.schema[c].dataType, (StringType, BooleanType)) for c in names
        }
        numeric = [c for c in names if not categorical[c]]
        for c in numeric:
            require_numeric(expected_df, c, "compute_psi (expected)")
            require_numeric(actual_df, c, "compute_psi (actual)")
        edges = self._edges_many(expected_df, numeric, bins)
        keys = {
            c: (
                col(c).cast("string") if categorical[c] else _bin_index(as_double(c), edges[c]).cast("string")
            )
            for c in names
        }
        e_shares = _shares_many(expected_df, keys, weight_col, "expected")
        a_shares = _shares_many(actual_df, keys, weight_col, "actual")
        results = []
        for c in names:
            decode = (lambda k: k) if categorical[c] else (lambda k: None if k is None else int(k))
            e = {decode(k): v for k, v in e_shares[c].items()}
            a = {decode(k): v for k, v in a_shares[c].items()}
            table = _psi_table(e, a, edges.get(c, []), categorical[c])
            results.append(
                PsiResult(
                    column=c,
                    psi=float(table["contribution"].sum()),
                    bins=len(table),
                    breakdown=table if breakdown else None,
                )
            )
        return results

    @staticmethod
    def _edges_many(df: DataFrame, columns: list[str], bins: int) -> dict[str, list[float]]:
        if not columns:
            return {}
        probs = [i / bins for i in range(1, bins)]
        row = df.agg(
            *[
                F.percentile_approx(as_double(c), probs, EDGE_QUANTILE_ACCURACY).alias(f"q{i}")
                for i, c in enumerate(columns)
            ]
        ).first()
        out = {}
        for i, c in enumerate(columns):
            values = row[f"q{i}"] if row is not None else None
            if not values:
                raise FeatureInputError(f"compute_psi: expected data has no non-null values in '{c}'")
            out[c] = sorted(set(float(v) for v in values))
        return out

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
    def _first_pass(df: DataFrame, names: list[str], weight_col: str | None) -> tuple[PartitionSummary, int]:
        """Pass 1: counts, extremes, moments, distinct-count sketches and chunk quantiles per column.

        Returns the merged summary and the number of partitions that sent one.
        """
        kinds = {name: _is_numeric(df, name) for name in names}
        read = [*names, *([weight_col] if weight_col is not None and weight_col not in names else [])]
        rows = (
            df.select(*[col(c) for c in read])
            .mapInArrow(SummarizeColumns(kinds, weight_col), _BLOB)
            .collect()
        )
        parts = read_blobs(rows)
        merged = PartitionSummary({name: ColumnSummary(numeric) for name, numeric in kinds.items()})
        for part in parts:
            merged.merge(part)  # type: ignore[arg-type]
        return merged, len(parts)

    @staticmethod
    def _second_pass(df: DataFrame, summary: PartitionSummary, partitions: int) -> dict[str, list[float]]:
        """Pass 2: the 1st/99th percentiles from the values inside each pass-1 bracket."""
        brackets = []
        for name, c in summary.columns.items():
            if not c.numeric or c.count == 0:
                continue
            stride = bracket_stride(c.count, partitions, QUANTILE_ACCURACY)
            for i, q in enumerate(QUANTILES):
                lows = [chunk[i] for chunk in c.chunk_quantiles]
                brackets.append(Bracket(name, q, min(lows), max(lows), stride))
        if not brackets:
            return {}
        read = list(dict.fromkeys(b.column for b in brackets))
        rows = df.select(*[col(c) for c in read]).mapInArrow(QuantileWindow(brackets), _BLOB).collect()
        answers = read_blobs(rows)
        out: dict[str, list[float]] = {}
        for i, b in enumerate(brackets):
            found = [part[i] for part in answers]  # type: ignore[index]
            out.setdefault(b.column, []).append(locate_quantile(b.q, summary.columns[b.column].count, found))
        return out

    @staticmethod
    def _stats(
        c: ColumnSummary, total_w: float, quantiles: list[float] | None, weighted: bool
    ) -> dict[str, Any]:
        nan = float("nan")
        stats: dict[str, Any] = {
            "missing_rate": c.missing_w / total_w if total_w > 0 else nan,
            "unique_count": hll_estimate(c.registers),
        }
        if not c.numeric:
            stats["zero_variance"] = stats["unique_count"] <= 1
            stats.update({k: nan for k in STAT_COLUMNS if k not in stats})
            return stats
        empty = c.count == 0
        constant = empty or c.minimum == c.maximum
        stats.update(min=nan if empty else c.minimum, max=nan if empty else c.maximum, zero_variance=constant)
        stats["p01"], stats["p99"] = quantiles if quantiles else (nan, nan)
        m = c.weighted if weighted else c.plain
        stats["mean"] = m.mean if m.n > 0 else nan
        # Sample std (ddof 1 on the summed weight); biased skewness/kurtosis, as scipy with bias=True.
        stats["std"] = math.sqrt(max(m.m2, 0.0) / (m.n - 1.0)) if m.n > 1.0 else nan
        c2 = m.m2 / m.n if m.n > 0 else nan
        shaped = not constant and c2 == c2 and c2 > 0
        stats["skewness"] = (m.m3 / m.n) / c2**1.5 if shaped else nan
        stats["kurtosis"] = (m.m4 / m.n) / c2**2 - 3.0 if shaped else nan
        return stats


def _is_numeric(df: DataFrame, name: str) -> bool:
    return isinstance(df.schema[name].dataType, (NumericType, BooleanType))


def _weight(df: DataFrame, weight_col: str | None) -> Column:
    return col(weight_col).cast("double") if weight_col else F.lit(1.0)


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _check_weights(summary: PartitionSummary, weight_col: str) -> None:
    if summary.null_w:
        raise FeatureInputError(f"weight_col '{weight_col}' has {summary.null_w} null value(s)")
    if summary.min_w < 0:
        raise FeatureInputError(f"weight_col '{weight_col}' has negative values (min {summary.min_w})")
    if summary.total_w <= 0:
        raise FeatureInputError(f"weight_col '{weight_col}' sums to 0; at least one weight must be > 0")


def _bin_index(x: Column, edges: list[float]) -> Column:
    """Bin number of ``x`` for bins (-inf, e0], (e0, e1], ..., (e_last, inf); null stays null."""
    index: Column = F.lit(len(edges))
    for i in reversed(range(len(edges))):
        index = F.when(x <= F.lit(edges[i]), F.lit(i)).otherwise(index)
    return F.when(x.isNull(), F.lit(None).cast("int")).otherwise(index)


def _checked_shares(rows: list[Any], weight_col: str | None, side: str) -> dict[Any, float]:
    """Bin -> share from (bin, w, min_w) rows; no rows, zero total or a negative weight is an error."""
    total = sum(float(r["w"] or 0.0) for r in rows)
    if not rows or total <= 0:
        raise FeatureInputError(f"compute_psi: the {side} data has no rows (or zero total weight)")
    if weight_col is not None and min(r["min_w"] for r in rows if r["min_w"] is not None) < 0:
        raise FeatureInputError(
            f"compute_psi: weight_col '{weight_col}' has negative values in the {side} data"
        )
    return {r["bin"]: float(r["w"] or 0.0) / total for r in rows}


def _shares_many(
    df: DataFrame, keys: dict[str, Column], weight_col: str | None, side: str
) -> dict[str, dict[Any, float]]:
    """Every column's bin shares from one grouped aggregation over stacked (column, bin) rows."""
    w = _weight(df, weight_col)
    stacked = df.select(
        F.explode(F.array(*[F.struct(F.lit(c).alias("c"), k.alias("bin")) for c, k in keys.items()])).alias(
            "kv"
        ),
        w.alias("w"),
    )
    rows = (
        stacked.groupBy(F.col("kv.c").alias("c"), F.col("kv.bin").alias("bin"))
        .agg(F.sum("w").alias("w"), F.min("w").alias("min_w"))
        .collect()
    )
    return {c: _checked_shares([r for r in rows if r["c"] == c], weight_col, side) for c in keys}


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
