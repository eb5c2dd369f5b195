"""Missing values: a declared policy per column, fill values fitted on the training split only.

Policies: ``mean`` and ``median`` (of the training split's non-null values; the median is exact,
Spark's ``percentile(x, 0.5)``, which interpolates between the two middle values as pandas does),
``constant`` (a declared number) and ``drop`` (rows with a null in that column are removed, from
both splits). NaN counts as missing. Filled columns come out as double.

Fitting on the training rows only keeps the test split out of every statistic a model sees (a mean
over all rows would leak the test rows into the training features). :class:`FittedMissingValues`
holds the fill values; it is saved next to the fitted pipeline so scoring applies the same ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_jobs.features._checks import as_double, col, require_numeric
from spark_jobs.features.errors import FeatureInputError

MISSING_POLICIES: tuple[str, ...] = ("mean", "median", "constant", "drop")
PolicySpec = Union[str, float, int, Mapping[str, Any]]
"""``"mean"``, ``"median"``, ``"drop"``, ``"constant:0"``, a number (a constant) or ``{"constant": 0}``."""


@dataclass(frozen=True)
class MissingValuePolicy:
    """How one column's missing values are handled."""

    column: str
    policy: str
    constant: float | None = None


def parse_policy(column: str, spec: PolicySpec) -> MissingValuePolicy:
    """One column's policy from its declaration (see :data:`PolicySpec`), with errors naming it."""
    if isinstance(spec, bool):
        pass
    elif isinstance(spec, (int, float)):
        return MissingValuePolicy(column, "constant", float(spec))
    elif isinstance(spec, Mapping) and set(spec) == {"constant"}:
        return parse_policy(column, spec["constant"])
    elif isinstance(spec, str):
        name, _, value = spec.strip().partition(":")
        if name == "constant":
            try:
                return MissingValuePolicy(column, "constant", float(value))
            except ValueError:
                pass
        elif name in MISSING_POLICIES and not value:
            return MissingValuePolicy(column, name)
    raise FeatureInputError(
        f"missing-value policy for '{column}': {spec!r} is not valid; allowed: 'mean', 'median', 'drop', "
        "'constant:<number>' (or a number)"
    )


def parse_policies(specs: Mapping[str, PolicySpec]) -> list[MissingValuePolicy]:
    """Every column's policy, in declaration order."""
    return [parse_policy(column, spec) for column, spec in specs.items()]


@dataclass(frozen=True)
class FittedMissingValues:
    """Fill values fitted on the training split; ``transform`` applies them to any split."""

    policies: list[MissingValuePolicy]
    fill_values: dict[str, float] = field(default_factory=dict)
    """Column -> the value that replaces a missing one (``drop`` columns are absent)."""

    def transform(self, df: DataFrame) -> DataFrame:
        """Drop the rows a ``drop`` policy removes, then fill the other columns (as double)."""
        for p in self.policies:
            if p.policy == "drop":
                df = df.where(as_double(p.column).isNotNull())
        filled = {c: F.coalesce(as_double(c), F.lit(v)).alias(c) for c, v in self.fill_values.items()}
        return df.select(*[filled.get(c, col(c)) for c in df.columns])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: each column's policy and its fill value."""
        return {
            p.column: {"policy": p.policy, "fill_value": self.fill_values.get(p.column)}
            for p in self.policies
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON (the ``_missing_values.json`` side file)."""
        return json.dumps(self.to_dict(), indent=2)

    @staticmethod
    def from_json(text: str) -> FittedMissingValues:
        """Read what :meth:`to_json` wrote."""
        doc = json.loads(text)
        policies, fills = [], {}
        for column, entry in doc.items():
            policy, value = entry["policy"], entry.get("fill_value")
            policies.append(MissingValuePolicy(column, policy, value if policy == "constant" else None))
            if policy != "drop":
                fills[column] = float(value)
        return FittedMissingValues(policies, fills)


def fit_missing_values(train: DataFrame, policies: list[MissingValuePolicy]) -> FittedMissingValues:
    """Fit the fill values of ``policies`` on ``train`` (one aggregation for every mean and median).

    Raises :class:`FeatureInputError` for a column that is missing or not numeric, declared twice,
    or (mean/median) without a single non-null value in the training split.
    """
    seen: set[str] = set()
    for p in policies:
        if p.column in seen:
            raise FeatureInputError(f"missing-value policy: column '{p.column}' is declared twice")
        seen.add(p.column)
        require_numeric(train, p.column, f"missing-value policy '{p.policy}'")
    stats = [p for p in policies if p.policy in ("mean", "median")]
    row = None
    if stats:
        aggs = []
        for i, p in enumerate(stats):
            x = as_double(p.column)
            aggs.append((F.avg(x) if p.policy == "mean" else F.percentile(x, F.lit(0.5))).alias(f"s{i}"))
        row = train.agg(*aggs).first()
    fills: dict[str, float] = {}
    for i, p in enumerate(stats):
        value = row[f"s{i}"] if row is not None else None
        if value is None:
            raise FeatureInputError(
                f"missing-value policy '{p.policy}' for '{p.column}': the training split has no non-null "
                "value to fit it on; declare 'constant:<number>' or 'drop'"
            )
        fills[p.column] = float(value)
    for p in policies:
        if p.policy == "constant":
            fills[p.column] = float(p.constant)  # type: ignore[arg-type]
    ordered = {p.column: fills[p.column] for p in policies if p.column in fills}
    return FittedMissingValues(list(policies), ordered)
