"""spark_jobs.features."""

from __future__ import annotations
