"""The feature pipeline behind ``spark_jobs.entrypoints.features``: a JSON spec turned into columns.

Spec (all sections optional, at least one feature)::

    {
      "time_col": "event_time",              # required when there are trends
      "group_cols": ["customer_id"],         # series key for trends (default: one global series)
      "trends": [{"kind": "volatility", "column": "amount", "window": 5,
                  "volatility_kind": "cv", "output": "amount_cv_5"}, ...],
      "encoders": [{"kind": "frequency" | "target_mean" | "rare", "column": "category",
                    "target": "label", "smoothing": 1.0, "weight_col": "weight",
                    "min_frequency": 0.01, "other_label": "__OTHER__", "output": "..."}, ...],
      "group_aggregations": [{"name": "...", "group_by": ["customer_id"], "agg": "mean",
                              "column": "amount"}, ...],
      "row_operations": [{"name": "...", "op": "ratio", "inputs": ["a", "b"]}, ...],
      "output_columns": ["customer_id", "..."]   # default: every input and feature column
    }

Order: trends (one window pass), then encoders (fitted on the input, applied by broadcast join),
then group aggregations and row operations in dependency order; those may use trend and
encoder outputs as inputs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame

from spark_jobs.features._checks import col
from spark_jobs.features.categorical_encoder import CategoricalEncoder
from spark_jobs.features.engineering import (
    DerivedFeature,
    GroupAggregation,
    add_derived_features,
    dependency_layers,
    parse_group_aggregation,
    parse_row_operation,
)
from spark_jobs.features.errors import FeatureInputError, FeatureSpecError
from spark_jobs.features.temporal_trends import TemporalTrendFeatures, TrendFeature

SPEC_KEYS = frozenset(
    {"time_col", "group_cols", "trends", "encoders", "group_aggregations", "row_operations", "output_columns"}
)
_TREND_KEYS = {"kind", "column", "window", "periods", "volatility_kind", "output"}
_ENCODER_KEYS = {
    "frequency": {"kind", "column", "weight_col", "output"},
    "target_mean": {"kind", "column", "target", "smoothing", "weight_col", "output"},
    "rare": {"kind", "column", "min_frequency", "other_label", "weight_col", "output"},
}


@dataclass(frozen=True)
class EncoderSpec:
    """One encoder entry of the spec."""

    kind: str
    column: str
    output: str
    target: str | None = None
    smoothing: float = 1.0
    weight_col: str | None = None
    min_frequency: float = 0.01
    other_label: str = "__OTHER__"


@dataclass(frozen=True)
class PipelineSpec:
    """A parsed, checked feature spec (see the module docs for the JSON form)."""

    time_col: str | None
    group_cols: tuple[str, ...]
    trends: tuple[TrendFeature, ...]
    encoders: tuple[EncoderSpec, ...]
    derived: tuple[DerivedFeature, ...]
    output_columns: tuple[str, ...] | None

    @property
    def produced(self) -> list[str]:
        """Names of every column the pipeline adds, in order."""
        return (
            [t.name for t in self.trends] + [e.output for e in self.encoders] + [d.name for d in self.derived]
        )

    def required_columns(self) -> dict[str, str]:
        """Input column -> kind (as :func:`spark_jobs.io.validate_input` takes it) this spec reads."""
        produced = set(self.produced)
        needs: dict[str, str] = {}

        def need(name: str | None, kind: str) -> None:
            if name is not None and name not in produced and needs.get(name, "any") == "any":
                needs[name] = kind

        if self.trends:
            need(self.time_col, "any")
            for g in self.group_cols:
                need(g, "any")
        for t in self.trends:
            need(t.value_col, "numeric")
        for e in self.encoders:
            need(e.column, "categorical")
            need(e.target, "numeric")
            need(e.weight_col, "numeric")
        for d in self.derived:
            if isinstance(d, GroupAggregation):
                for g in d.group_by:
                    need(g, "any")
                need(d.column, "any" if d.agg in ("count", "distinct_count") else "numeric")
            else:
                for i in d.inputs:
                    need(i, "numeric")
        for c in self.output_columns or ():
            need(c, "any")
        return needs


def load_spec_text(text: str) -> dict[str, Any]:
    """Parse spec JSON text, with a clear error for invalid JSON."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeatureSpecError(f"feature spec is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise FeatureSpecError(f"feature spec must be a JSON object, got {type(document).__name__}")
    return document


def parse_spec(document: Mapping[str, Any]) -> PipelineSpec:
    """Check and parse a spec document; raises :class:`FeatureSpecError` naming the bad entry."""
    extra = sorted(set(document) - SPEC_KEYS)
    if extra:
        raise FeatureSpecError(f"feature spec: unknown key(s) {extra}; allowed: {sorted(SPEC_KEYS)}")
    group_cols = document.get("group_cols") or []
    if isinstance(group_cols, str):
        group_cols = [group_cols]
    trends = tuple(_trend(t) for t in _list(document, "trends"))
    time_col = document.get("time_col")
    if trends and not isinstance(time_col, str):
        raise FeatureSpecError(
            f"feature spec: time_col (a column name) is required with trends, got {time_col!r}"
        )
    encoders = tuple(_encoder(e) for e in _list(document, "encoders"))
    derived: tuple[DerivedFeature, ...] = tuple(
        [parse_group_aggregation(a) for a in _list(document, "group_aggregations")]
        + [parse_row_operation(o) for o in _list(document, "row_operations")]
    )
    output_columns = document.get("output_columns")
    if output_columns is not None and (
        not isinstance(output_columns, list) or not all(isinstance(c, str) for c in output_columns)
    ):
        raise FeatureSpecError(
            f"feature spec: output_columns must be a list of names, got {output_columns!r}"
        )
    spec = PipelineSpec(
        time_col=time_col,
        group_cols=tuple(group_cols),
        trends=trends,
        encoders=encoders,
        derived=derived,
        output_columns=tuple(output_columns) if output_columns is not None else None,
    )
    if not spec.produced:
        raise FeatureSpecError(
            "feature spec declares no features (trends, encoders, aggregations or operations)"
        )
    seen: set[str] = set()
    for name in spec.produced:
        if name in seen:
            raise FeatureSpecError(f"feature spec: output name '{name}' is used twice")
        seen.add(name)
    return spec


def check_against_columns(spec: PipelineSpec, columns: list[str]) -> None:
    """Spec errors that need the input's column names: clashes, unknown inputs, cycles."""
    clashes = [name for name in spec.produced if name in columns]
    if clashes:
        raise FeatureSpecError(f"feature spec: output name(s) {clashes} already exist in the input")
    upstream = [*columns, *(t.name for t in spec.trends), *(e.output for e in spec.encoders)]
    dependency_layers(spec.derived, upstream)
    if spec.output_columns is not None:
        known = set(columns) | set(spec.produced)
        unknown = [c for c in spec.output_columns if c not in known]
        if unknown:
            raise FeatureSpecError(
                f"feature spec: output_columns {unknown} are neither input nor feature columns"
            )


def run_pipeline(df: DataFrame, spec: PipelineSpec) -> tuple[DataFrame, CategoricalEncoder]:
    """Apply ``spec`` to ``df``; returns the features and the fitted encoders (to save with the output)."""
    check_against_columns(spec, df.columns)
    out = df
    if spec.trends:
        assert spec.time_col is not None
        out = TemporalTrendFeatures(spec.time_col, spec.group_cols).compute(out, list(spec.trends))
    encoder = CategoricalEncoder()
    for e in spec.encoders:
        if e.kind == "frequency":
            encoder.fit_frequency(df, e.column, e.weight_col, e.output)
        elif e.kind == "target_mean":
            assert e.target is not None
            encoder.fit_target_mean(df, e.column, e.target, e.smoothing, e.weight_col, e.output)
        else:
            encoder.fit_rare(df, e.column, e.min_frequency, e.other_label, e.weight_col, e.output)
    out = encoder.transform(out)
    if spec.derived:
        out = add_derived_features(out, list(spec.derived))
    if spec.output_columns is not None:
        out = out.select(*[col(c) for c in spec.output_columns])
    return out, encoder


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key) or []
    if not isinstance(value, list):
        raise FeatureSpecError(f"feature spec: '{key}' must be a list, got {type(value).__name__}")
    return value


def _trend(item: Any) -> TrendFeature:
    if not isinstance(item, Mapping) or not isinstance(item.get("column"), str):
        raise FeatureSpecError(f"trends: every entry needs 'kind' and 'column', got {item!r}")
    extra = sorted(set(item) - _TREND_KEYS)
    if extra:
        raise FeatureSpecError(
            f"trends entry {dict(item)!r}: unknown key(s) {extra}; allowed: {sorted(_TREND_KEYS)}"
        )
    try:
        return TrendFeature(
            kind=item.get("kind"),
            value_col=item["column"],
            window=item.get("window"),
            periods=item.get("periods", 1),
            volatility_kind=item.get("volatility_kind", "std"),
            output_col=item.get("output"),
        )
    except FeatureInputError as exc:
        raise FeatureSpecError(f"trends entry {dict(item)!r}: {exc}") from None


def _encoder(item: Any) -> EncoderSpec:
    if not isinstance(item, Mapping) or item.get("kind") not in _ENCODER_KEYS:
        raise FeatureSpecError(f"encoders: 'kind' must be one of {sorted(_ENCODER_KEYS)}, got {item!r}")
    kind = item["kind"]
    column = item.get("column")
    if not isinstance(column, str):
        raise FeatureSpecError(f"encoders entry {dict(item)!r}: 'column' (a column name) is required")
    extra = sorted(set(item) - _ENCODER_KEYS[kind])
    if extra:
        raise FeatureSpecError(f"encoders entry {dict(item)!r}: unknown key(s) {extra} for kind '{kind}'")
    if kind == "target_mean" and not isinstance(item.get("target"), str):
        raise FeatureSpecError(
            f"encoders entry {dict(item)!r}: target_mean needs 'target' (the label column)"
        )
    suffix = {"frequency": "freq", "target_mean": "target_mean", "rare": "grouped"}[kind]
    return EncoderSpec(
        kind=kind,
        column=column,
        output=item.get("output") or f"{column}_{suffix}",
        target=item.get("target"),
        smoothing=item.get("smoothing", 1.0),
        weight_col=item.get("weight_col"),
        min_frequency=item.get("min_frequency", 0.01),
        other_label=item.get("other_label", "__OTHER__"),
    )
