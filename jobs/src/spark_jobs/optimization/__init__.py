"""spark_jobs.optimization."""

from __future__ import annotations
