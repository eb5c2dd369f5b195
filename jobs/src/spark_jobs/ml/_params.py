"""Parameter checks of the training-data functions: errors name the field, the value and what is allowed."""

from __future__ import annotations

import re
from datetime import timedelta

from pyspark.sql import DataFrame
from pyspark.sql.types import DateType, TimestampType

from spark_jobs.features._checks import require_columns
from spark_jobs.features.errors import FeatureInputError

_WINDOW = re.compile(r"^([1-9][0-9]*)([dhms])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_window(text: str) -> timedelta:
    """``"7d"`` -> 7 days; units ``d``, ``h``, ``m``, ``s`` (pandas' ``"7D"``, ``"12h"``, ``"90min"``)."""
    match = _WINDOW.match(text.strip().lower()) if isinstance(text, str) else None
    if match is None:
        raise FeatureInputError(
            f"window {text!r} is not valid; expected a positive whole number and a unit d, h, m or s "
            "(e.g. '7d', '12h')"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def window_label(text: str) -> str:
    """The window as it appears in feature names: ``"7D"`` -> ``"7d"``."""
    parse_window(text)
    return text.strip().lower()


def require_time(df: DataFrame, name: str, role: str) -> None:
    """Raise unless ``name`` exists and is a timestamp or date column."""
    require_columns(df, [name], role)
    dtype = df.schema[name].dataType
    if not isinstance(dtype, (TimestampType, DateType)) and dtype.typeName() != "timestamp_ntz":
        raise FeatureInputError(
            f"{role}: column '{name}' has type {dtype.simpleString()}; a timestamp or date column is required"
        )


def require_fraction(name: str, value: object) -> float:
    """``value`` if it is a number strictly between 0 and 1, else an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) < 1.0:
        raise FeatureInputError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)
