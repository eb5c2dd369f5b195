"""``FeatureEngineer(config).fit_transform(df)``: the original system's front over the spec pipeline.

``config`` is a feature spec (a dict, its JSON text, or a parsed :class:`PipelineSpec`; see
:mod:`spark_jobs.features.pipeline`). ``fit_transform`` fits the spec's encoders on ``df`` and
returns its features (out-of-fold target means where cross-fitted), as the features job does;
``transform`` applies those fitted encoders to other data unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

from pyspark.sql import DataFrame

from spark_jobs.features.categorical_encoder import CategoricalEncoder
from spark_jobs.features.errors import FeatureSpecError
from spark_jobs.features.pipeline import PipelineSpec, load_spec_text, parse_spec, run_pipeline

FeatureConfig = Union[PipelineSpec, Mapping[str, Any], str]


class FeatureEngineer:
    """Fit-then-apply front over :func:`spark_jobs.features.pipeline.run_pipeline`."""

    def __init__(self, config: FeatureConfig) -> None:
        """Parse ``config`` now, so a bad spec fails before any data is read."""
        if isinstance(config, PipelineSpec):
            self.spec = config
        elif isinstance(config, str):
            self.spec = parse_spec(load_spec_text(config))
        elif isinstance(config, Mapping):
            self.spec = parse_spec(config)
        else:
            raise FeatureSpecError(
                f"FeatureEngineer: config must be a spec dict, its JSON text or a PipelineSpec, "
                f"got {type(config).__name__}"
            )
        self.encoder: CategoricalEncoder | None = None

    def fit_transform(self, df: DataFrame) -> DataFrame:
        """Fit the spec's encoders on ``df`` and return ``df``'s features."""
        features, self.encoder = run_pipeline(df, self.spec)
        return features

    def transform(self, df: DataFrame) -> DataFrame:
        """Apply the spec with the encoders :meth:`fit_transform` fitted (nothing is refitted)."""
        if self.encoder is None:
            raise FeatureSpecError("FeatureEngineer.transform: call fit_transform first")
        features, _ = run_pipeline(df, self.spec, self.encoder)
        return features
