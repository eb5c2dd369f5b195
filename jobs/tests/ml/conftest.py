"""The generated events of the training-data tests, once per test session."""

from __future__ import annotations

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession

from ._data import events, tie_user, to_spark


@pytest.fixture(scope="session")
def pdf() -> pd.DataFrame:
    """The events as pandas (missing amounts NaN), arrival order shuffled."""
    return pd.concat([events(), tie_user()], ignore_index=True)


@pytest.fixture(scope="session")
def sdf(spark: SparkSession, pdf: pd.DataFrame) -> DataFrame:
    """The same events as a cached Spark DataFrame (3 partitions, so windows cross partitions)."""
    df = to_spark(spark, pdf).repartition(3).cache()
    df.count()
    yield df
    df.unpersist()
