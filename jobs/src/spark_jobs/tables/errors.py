"""Errors of the table operations: bad input (exit 2, nothing changed) and write conflicts (exit 3)."""

from __future__ import annotations

from spark_jobs.io import InputDataError


class TableInputError(InputDataError):
    """Bad input for a table operation: unknown or wrong format, missing column, bad SQL expression."""


class TableConflictError(RuntimeError):
    """Another writer committed to the table first; this run's commit was rejected and nothing changed."""
