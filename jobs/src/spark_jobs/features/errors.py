"""Errors raised by the feature jobs (kinds of :mod:`spark_jobs.errors`, kept under their old names)."""

from __future__ import annotations

from spark_jobs.errors import InputError, SpecError


class FeatureInputError(InputError):
    """Bad input to a feature computation: a missing column, a wrong type, or a parameter out of range."""


class FeatureSpecError(SpecError):
    """An invalid feature specification: an unknown operation, an unknown input, or a dependency cycle."""
