"""Vector assembly and standard scaling in one Spark ML ``Pipeline``, fitted on the training split only.

``VectorAssembler`` (the feature columns, in order) then ``StandardScaler(withMean=True,
withStd=True)``. Spark's scaler divides by the *sample* standard deviation (ddof 1), scikit-learn's
``StandardScaler`` by the population one (ddof 0): Spark's scaled value is scikit-learn's times
``sqrt((n - 1) / n)`` for ``n`` training rows. A feature constant on the training rows scales to 0
in both. The fitted ``PipelineModel`` is saved with the output (``_pipeline/``), so a scoring job
loads it and applies the same means and deviations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import StandardScaler, StandardScalerModel, VectorAssembler
from pyspark.sql import DataFrame

from spark_jobs.features._checks import require_numeric
from spark_jobs.features.errors import FeatureInputError

RAW_VECTOR_COL = "features_raw"
FEATURES_COL = "features"


def fit_scaling_pipeline(
    train: DataFrame,
    feature_cols: Sequence[str],
    output_col: str = FEATURES_COL,
    raw_col: str = RAW_VECTOR_COL,
) -> PipelineModel:
    """Fit assembler + scaler on ``train``; a null left in a feature column fails the fit (Spark's error)."""
    if not feature_cols:
        raise FeatureInputError("fit_scaling_pipeline: feature_cols must not be empty")
    for c in feature_cols:
        require_numeric(train, c, "fit_scaling_pipeline: feature_cols")
    clash = [c for c in (output_col, raw_col) if c in train.columns]
    if clash:
        raise FeatureInputError(f"fit_scaling_pipeline: output column(s) {clash} already exist in the input")
    assembler = VectorAssembler(inputCols=list(feature_cols), outputCol=raw_col, handleInvalid="error")
    scaler = StandardScaler(inputCol=raw_col, outputCol=output_col, withMean=True, withStd=True)
    return Pipeline(stages=[assembler, scaler]).fit(train)


def scaler_model(model: PipelineModel) -> StandardScalerModel:
    """The fitted scaler stage of a pipeline from :func:`fit_scaling_pipeline`."""
    for stage in model.stages:
        if isinstance(stage, StandardScalerModel):
            return stage
    raise ValueError("the pipeline has no fitted StandardScaler stage")


def scaler_stats(model: PipelineModel, feature_cols: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per feature: the training mean and sample standard deviation the scaler applies."""
    scaler = scaler_model(model)
    means, stds = scaler.mean.toArray(), scaler.std.toArray()
    return {c: {"mean": float(m), "std": float(s)} for c, m, s in zip(feature_cols, means, stds)}
