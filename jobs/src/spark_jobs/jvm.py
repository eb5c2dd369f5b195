"""The driver's py4j handles of a SparkContext, typed: pyspark declares them Optional (None once stopped)."""

from __future__ import annotations

from typing import Any

from pyspark import SparkContext

from spark_jobs.errors import ConfigurationError


def jvm_of(sc: SparkContext) -> Any:
    """The JVM view (``sc._jvm``) of a running context."""
    jvm = sc._jvm
    if jvm is None:
        raise ConfigurationError("the SparkContext has no JVM view: it has been stopped")
    return jvm


def gateway_of(sc: SparkContext) -> Any:
    """The py4j gateway (``sc._gateway``) of a running context."""
    gateway = sc._gateway
    if gateway is None:
        raise ConfigurationError("the SparkContext has no py4j gateway: it has been stopped")
    return gateway
