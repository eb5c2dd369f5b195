"""Fixtures for optimization tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from pyspark.sql import SparkSession


@pytest.fixture
def sql_conf(spark: SparkSession) -> Callable[[dict[str, str]], AbstractContextManager[None]]:
    """Temporarily set runtime SQL settings on the shared session, restoring them on exit."""

    @contextmanager
    def change(settings: dict[str, str]) -> Iterator[None]:
        previous = {key: spark.conf.get(key, None) for key in settings}
        try:
            for key, value in settings.items():
                spark.conf.set(key, value)
            yield
        finally:
            for key, value in previous.items():
                if value is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, value)

    return change
