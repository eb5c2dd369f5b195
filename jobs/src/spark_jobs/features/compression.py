"""Post-binning compression: collapse identical rows into one weighted row.

After binning, many rows share the same values in every feature. ``compress`` keeps one row per
distinct combination with ``sample_weight`` (the summed weight) and ``target_sum`` (the summed
``weight * target``); a model trained with ``sample_weight`` on ``target_sum / sample_weight``
sees exactly the same weighted counts and target means. ``verify`` checks that on the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.features._checks import col, require_columns, require_numeric
from spark_jobs.features.errors import FeatureInputError

SAMPLE_WEIGHT = "sample_weight"
TARGET_SUM = "target_sum"
_REL_TOL = 1e-12


@dataclass(frozen=True)
class CompressionSpec:
    """What a compression grouped by, and which columns carried the target and the weight."""

    feature_cols: tuple[str, ...]
    target_col: str
    weight_col: str | None = None


@dataclass(frozen=True)
class CompressionReport:
    """Outcome of :meth:`PostBinningCompressor.verify`.

    ``ok`` is true when every check passed; ``failures`` lists what did not, naming the feature
    and value. Weighted sums are compared with a relative tolerance of 1e-12 (float sums in a
    different order), so integer weights and 0/1 targets compare exactly.
    """

    ok: bool
    rows_before: int
    rows_after: int
    compression_ratio: float
    total_weight_before: float
    total_weight_after: float
    event_rate_before: float
    event_rate_after: float
    max_abs_weight_diff: float
    max_abs_target_mean_diff: float
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


class PostBinningCompressor:
    """Collapses identical binned rows; remembers the last :meth:`compress` call for :meth:`verify`."""

    def __init__(self) -> None:
        self.last_spec: CompressionSpec | None = None

    def compress(
        self, df: DataFrame, feature_cols: Sequence[str], target_col: str, weight_col: str | None = None
    ) -> DataFrame:
        """One row per distinct ``feature_cols`` combination (nulls included) with the weights summed.

        Output columns: ``feature_cols``, ``sample_weight`` = sum(w), ``target_sum`` = sum(w * y).
        Raises :class:`FeatureInputError` for missing columns, a non-numeric target or weight, or
        a feature list that names the target or weight.
        """
        spec = _spec(df, feature_cols, target_col, weight_col)
        w = _weight(weight_col)
        y = col(target_col).cast("double")
        out = df.groupBy(*[col(c) for c in spec.feature_cols]).agg(
            F.sum(w).alias(SAMPLE_WEIGHT), F.sum(w * y).alias(TARGET_SUM)
        )
        self.last_spec = spec
        return out

    def verify(
        self, original: DataFrame, compressed: DataFrame, spec: CompressionSpec | None = None
    ) -> CompressionReport:
        """Check that ``compressed`` preserves, against ``original``: the weighted count and the
        weighted target mean of every value of every feature, the total weight and the overall
        event rate; report the compression ratio (rows before / rows after).

        ``spec`` defaults to the last :meth:`compress` call on this instance.
        """
        spec = spec or self.last_spec
        if spec is None:
            raise FeatureInputError("verify: no compression to check; call compress() first or pass spec")
        require_columns(compressed, [*spec.feature_cols, SAMPLE_WEIGHT, TARGET_SUM], "verify (compressed)")
        require_columns(original, [*spec.feature_cols, spec.target_col], "verify (original)")
        before = _per_value(
            original, spec.feature_cols, _weight(spec.weight_col), col(spec.target_col).cast("double")
        )
        after = _per_value(compressed, spec.feature_cols, F.col(SAMPLE_WEIGHT), None)
        failures: list[str] = []
        max_w = max_m = 0.0
        for key in sorted(set(before) | set(after), key=repr):
            if key not in before or key not in after:
                side = "compressed" if key not in after else "original"
                failures.append(f"feature '{key[0]}' value {key[1]!r} missing from the {side} data")
                continue
            (w0, t0), (w1, t1) = before[key], after[key]
            max_w = max(max_w, abs(w0 - w1))
            if not math.isclose(w0, w1, rel_tol=_REL_TOL, abs_tol=0.0):
                failures.append(f"feature '{key[0]}' value {key[1]!r}: weighted count {w0} became {w1}")
            if w0 > 0 and w1 > 0:
                m0, m1 = t0 / w0, t1 / w1
                max_m = max(max_m, abs(m0 - m1))
                if not math.isclose(m0, m1, rel_tol=_REL_TOL, abs_tol=1e-15):
                    failures.append(
                        f"feature '{key[0]}' value {key[1]!r}: weighted target mean {m0} became {m1}"
                    )
        totals_before = _totals(original, _weight(spec.weight_col), col(spec.target_col).cast("double"))
        totals_after = _totals(compressed, F.col(SAMPLE_WEIGHT), None)
        rate_before = totals_before["t"] / totals_before["w"] if totals_before["w"] else math.nan
        rate_after = totals_after["t"] / totals_after["w"] if totals_after["w"] else math.nan
        if not math.isclose(totals_before["w"], totals_after["w"], rel_tol=_REL_TOL, abs_tol=0.0):
            failures.append(f"total weight {totals_before['w']} became {totals_after['w']}")
        if not math.isclose(rate_before, rate_after, rel_tol=_REL_TOL, abs_tol=1e-15):
            failures.append(f"event rate {rate_before} became {rate_after}")
        rows_before, rows_after = int(totals_before["rows"]), int(totals_after["rows"])
        return CompressionReport(
            ok=not failures,
            rows_before=rows_before,
            rows_after=rows_after,
            compression_ratio=rows_before / rows_after if rows_after else math.nan,
            total_weight_before=totals_before["w"],
            total_weight_after=totals_after["w"],
            event_rate_before=rate_before,
            event_rate_after=rate_after,
            max_abs_weight_diff=max_w,
            max_abs_target_mean_diff=max_m,
            failures=failures,
        )


def _spec(
    df: DataFrame, feature_cols: Sequence[str], target_col: str, weight_col: str | None
) -> CompressionSpec:
    if isinstance(feature_cols, str):
        feature_cols = [feature_cols]
    features = tuple(dict.fromkeys(feature_cols))
    if not features:
        raise FeatureInputError("compress: feature_cols must name at least one column")
    require_columns(df, features, "compress: feature_cols")
    require_numeric(df, target_col, "compress: target_col")
    if weight_col is not None:
        require_numeric(df, weight_col, "compress: weight_col")
    clash = {target_col, weight_col, SAMPLE_WEIGHT, TARGET_SUM} & set(features)
    if clash:
        raise FeatureInputError(f"compress: feature_cols must not include {sorted(c for c in clash if c)}")
    return CompressionSpec(features, target_col, weight_col)


def _weight(weight_col: str | None) -> Column:
    return col(weight_col).cast("double") if weight_col else F.lit(1.0)


def _per_value(
    df: DataFrame, features: Sequence[str], w: Column, y: Column | None
) -> dict[tuple[str, Any], tuple[float, float]]:
    """(feature, value) -> (sum w, sum w*y) for every feature in one aggregation over stacked values."""
    t = w * y if y is not None else F.col(TARGET_SUM)
    stacked = F.explode(
        F.array(
            *[F.struct(F.lit(f).alias("feature"), col(f).cast("string").alias("value")) for f in features]
        )
    )
    rows = (
        df.select(stacked.alias("kv"), w.alias("w"), t.alias("t"))
        .groupBy("kv.feature", "kv.value")
        .agg(F.sum("w").alias("w"), F.sum("t").alias("t"))
        .collect()
    )
    return {(r["feature"], r["value"]): (float(r["w"] or 0.0), float(r["t"] or 0.0)) for r in rows}


def _totals(df: DataFrame, w: Column, y: Column | None) -> dict[str, float]:
    t = w * y if y is not None else F.col(TARGET_SUM)
    row = df.agg(F.count(F.lit(1)).alias("rows"), F.sum(w).alias("w"), F.sum(t).alias("t")).collect()[0]
    return {"rows": float(row["rows"]), "w": float(row["w"] or 0.0), "t": float(row["t"] or 0.0)}
