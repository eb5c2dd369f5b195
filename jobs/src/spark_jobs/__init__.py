"""spark_jobs: the PySpark jobs that spark-deploy packages and deploys."""

from __future__ import annotations

__version__ = "0.1.0"
