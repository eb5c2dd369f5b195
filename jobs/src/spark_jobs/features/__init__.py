"""spark_jobs.features: trend features, categorical encoders, validation, compression, engineering."""

from __future__ import annotations

from spark_jobs.features.categorical_encoder import CategoricalEncoder, FittedEncoding
from spark_jobs.features.compression import CompressionReport, PostBinningCompressor
from spark_jobs.features.engineer import FeatureEngineer
from spark_jobs.features.errors import FeatureInputError, FeatureSpecError
from spark_jobs.features.feature_validator import FeatureValidator, PsiResult, ValidationResult
from spark_jobs.features.temporal_trends import TemporalTrendFeatures, TrendFeature

__all__ = [
    "CategoricalEncoder",
    "CompressionReport",
    "FeatureEngineer",
    "FeatureInputError",
    "FeatureSpecError",
    "FeatureValidator",
    "FittedEncoding",
    "PostBinningCompressor",
    "PsiResult",
    "TemporalTrendFeatures",
    "TrendFeature",
    "ValidationResult",
]
