"""spark_jobs.metrics."""

from __future__ import annotations
