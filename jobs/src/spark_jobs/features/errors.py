"""Errors raised by the feature jobs."""

from __future__ import annotations


class FeatureInputError(ValueError):
    """Bad input to a feature computation: a missing column, a wrong type, or a parameter out of range."""


class FeatureSpecError(ValueError):
    """An invalid feature specification: an unknown operation, an unknown input, or a dependency cycle."""
