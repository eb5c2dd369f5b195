"""spark_jobs.entrypoints."""

from __future__ import annotations
