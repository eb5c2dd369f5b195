"""The feature pipeline behind ``spark_jobs.entrypoints.features``: a JSON spec turned into columns.

Spec (all sections optional, at least one feature)::

    {
      "time_col": "event_time",              # required when there are trends: timestamp, date or number
      "time_format": "yyyy-MM-dd HH:mm:ss",  # only for a string time_col: the Spark pattern parsing it
      "group_cols": ["customer_id"],         # series key for trends (default: one global series)
      "trends": [{"kind": "volatility", "column": "amount", "window": 5,
                  "volatility_kind": "cv", "output": "amount_cv_5"}, ...],
      "encoders": [{"kind": "frequency" | "target_mean" | "rare", "column": "category",
                    "target": "label", "smoothing": 1.0, "weight_col": "weight",
                    "cv": 5, "fold_col": "fold", "fold_key": ["customer_id"],
                    "min_frequency": 0.01, "other_label": "__OTHER__", "output": "..."}, ...],
      "group_aggregations": [{"name": "...", "group_by": ["customer_id"], "agg": "mean",
                              "column": "amount"}, ...],
      "row_operations": [{"name": "...", "op": "ratio", "inputs": ["a", "b"]}, ...],
      "output_columns": ["customer_id", "..."]   # default: every input and feature column
    }

Order: trends (one window pass), then encoders (all fitted on the input in one aggregation and
applied by broadcast join), then group aggregations and row operations in dependency order; those
may use trend and encoder outputs as inputs.

Target mean encoders cross-fit by default (``"cv": 5``): the rows they are fitted on get
out-of-fold values (folds from ``xxhash64`` of ``fold_key``, default every input column, or the ids
of a declared integer ``fold_col``); ``"cv": 0`` gives them the plain m-estimate. Given fitted
encoders (:func:`run_pipeline` ``encoders=``, the job's ``--encoders``), nothing is fitted: every
row gets the saved full-data mapping, and the encoders must match the spec's entries exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from pyspark.sql import DataFrame
from pyspark.sql.types import StructType

from spark_jobs.features._checks import col
from spark_jobs.features.categorical_encoder import (
    DEFAULT_CV,
    CategoricalEncoder,
    EncodingRequest,
    FittedEncoding,
)
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
    {
        "time_col",
        "time_format",
        "group_cols",
        "trends",
        "encoders",
        "group_aggregations",
        "row_operations",
        "output_columns",
    }
)
_TREND_KEYS = {"kind", "column", "window", "periods", "volatility_kind", "output"}
_ENCODER_KEYS = {
    "frequency": {"kind", "column", "weight_col", "output"},
    "target_mean": {
        "kind",
        "column",
        "target",
        "smoothing",
        "weight_col",
        "output",
        "cv",
        "fold_col",
        "fold_key",
    },
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
    cv: int = DEFAULT_CV
    fold_col: str | None = None
    fold_key: tuple[str, ...] | None = None

    def request(self) -> EncodingRequest:
        """The encoder request this entry makes."""
        return EncodingRequest(
            kind=self.kind,
            column=self.column,
            output_col=self.output,
            target_col=self.target,
            smoothing=self.smoothing,
            weight_col=self.weight_col,
            min_frequency=self.min_frequency,
            other_label=self.other_label,
            cv=self.cv,
            fold_col=self.fold_col,
            fold_key=self.fold_key,
        )


@dataclass(frozen=True)
class PipelineSpec:
    """A parsed, checked feature spec (see the module docs for the JSON form)."""

    time_col: str | None
    time_format: str | None
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

    def required_columns(self, fitting: bool = True) -> dict[str, str]:
        """Input column -> kind (as :func:`spark_jobs.io.validate_input` takes it) this spec reads.

        With ``fitting=False`` (fitted encoders given) the encoders read only their category column,
        so new data needs no target, weight or fold column.
        """
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
            if fitting:
                need(e.target, "numeric")
                need(e.weight_col, "numeric")
                need(e.fold_col, "numeric")
                for k in e.fold_key or ():
                    need(k, "any")
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
    time_format = document.get("time_format")
    if time_format is not None and (not isinstance(time_format, str) or not time_format.strip()):
        raise FeatureSpecError(
            f"feature spec: time_format must be a Spark datetime pattern such as 'yyyy-MM-dd HH:mm:ss', "
            f"got {time_format!r}"
        )
    if time_format is not None and time_col is None:
        raise FeatureSpecError("feature spec: time_format parses time_col; give time_col too")
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
        time_format=time_format,
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


def check_encoders(spec: PipelineSpec, encoders: CategoricalEncoder, where: str = "fitted encoders") -> None:
    """Fitted encoders must be exactly the spec's encoder entries (same outputs, kinds, columns, parameters).

    Raises :class:`FeatureSpecError` listing every difference; reads no data.
    """
    wanted = {e.output: e for e in spec.encoders}
    problems = []
    missing = [name for name in wanted if name not in encoders.fitted]
    extra = [name for name in encoders.fitted if name not in wanted]
    if missing:
        problems.append(f"missing for spec output(s) {missing}")
    if extra:
        problems.append(f"not in the spec: {extra}")
    for name, e in wanted.items():
        fitted = encoders.fitted.get(name)
        if fitted is None:
            continue
        differ = [
            f"{field} {want!r} in the spec, {got!r} in the encoders"
            for field, want, got in _encoder_fields(e, fitted)
            if want != got
        ]
        if differ:
            problems.append(f"'{name}': " + "; ".join(differ))
    if problems:
        raise FeatureSpecError(f"{where} do not match the spec's encoders: " + " | ".join(problems))


def check_encoder_types(encoders: CategoricalEncoder, schema: StructType) -> None:
    """The category columns of new data must have the type the encoders were fitted on (schema only)."""
    for fitted in encoders.fitted.values():
        if fitted.column in schema.names:
            got = schema[fitted.column].dataType.simpleString()
            if got != fitted.category_type:
                raise FeatureInputError(
                    f"encoder '{fitted.output_col}': column '{fitted.column}' has type {got} in the input, "
                    f"the encoder was fitted on {fitted.category_type}"
                )


def _encoder_fields(e: EncoderSpec, fitted: FittedEncoding) -> list[tuple[str, Any, Any]]:
    p = fitted.params
    fields: list[tuple[str, Any, Any]] = [
        ("kind", e.kind, fitted.kind),
        ("column", e.column, fitted.column),
        ("weight_col", e.weight_col, p.get("weight_col")),
    ]
    if e.kind == "target_mean":
        cv = 0 if e.fold_col is not None else e.cv
        fields += [
            ("target", e.target, p.get("target_col")),
            ("smoothing", _number(e.smoothing), p.get("smoothing")),
            ("cv", cv, p.get("cv")),
            ("fold_col", e.fold_col, p.get("fold_col")),
        ]
        if e.fold_key is not None and e.fold_col is None and e.cv >= 2:
            fields.append(("fold_key", list(e.fold_key), p.get("fold_key")))
    if e.kind == "rare":
        fields += [
            ("min_frequency", _number(e.min_frequency), p.get("min_frequency")),
            ("other_label", e.other_label, fitted.unseen_value),
        ]
    return fields


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def run_pipeline(
    df: DataFrame, spec: PipelineSpec, encoders: CategoricalEncoder | None = None
) -> tuple[DataFrame, CategoricalEncoder]:
    """Apply ``spec`` to ``df``; returns the features and the encoders (to save with the output).

    Without ``encoders`` every encoder is fitted on ``df`` (one aggregation) and ``df``'s rows get
    out-of-fold values where cross-fitted. With ``encoders`` (fitted on earlier data) nothing is
    fitted: they are checked against the spec and applied unchanged (full-data mappings).
    """
    check_against_columns(spec, df.columns)
    if encoders is not None:
        check_encoders(spec, encoders)
        check_encoder_types(encoders, df.schema)
    out = df
    if spec.trends:
        assert spec.time_col is not None
        trends = TemporalTrendFeatures(spec.time_col, spec.group_cols, spec.time_format)
        out = trends.compute(out, list(spec.trends))
    if encoders is None:
        encoder = CategoricalEncoder()
        encoder.fit_all(df, [e.request() for e in spec.encoders])
        out = encoder.transform_training(out)
    else:
        encoder = encoders
        out = encoder.transform(out, [e.output for e in spec.encoders])
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
            kind=cast(str, item.get("kind")),  # TrendFeature checks it (a missing kind names None)
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
    cv = item.get("cv", DEFAULT_CV)
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 0 or cv == 1:
        raise FeatureSpecError(
            f"encoders entry {dict(item)!r}: 'cv' must be 0 (no cross-fitting) or an integer >= 2, got {cv!r}"
        )
    fold_col = item.get("fold_col")
    if fold_col is not None and not isinstance(fold_col, str):
        raise FeatureSpecError(f"encoders entry {dict(item)!r}: 'fold_col' must be a column name")
    fold_key = item.get("fold_key")
    if isinstance(fold_key, str):
        fold_key = [fold_key]
    if fold_key is not None and (
        not isinstance(fold_key, list) or not fold_key or not all(isinstance(k, str) for k in fold_key)
    ):
        raise FeatureSpecError(
            f"encoders entry {dict(item)!r}: 'fold_key' must be a non-empty list of column names"
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
        cv=cv,
        fold_col=fold_col,
        fold_key=tuple(fold_key) if fold_key is not None else None,
    )
