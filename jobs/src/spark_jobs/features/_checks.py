"""Input checks shared by the feature modules: errors name the field, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DataType, NumericType, StringType

from spark_jobs.features.errors import FeatureInputError


def col(name: str) -> Column:
    """A column reference that treats dots and spaces in ``name`` literally."""
    return F.col("`" + name.replace("`", "``") + "`")


def require_columns(df: DataFrame, columns: Iterable[str], role: str) -> None:
    """Raise :class:`FeatureInputError` if any of ``columns`` is not in ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FeatureInputError(
            f"{role}: column(s) {missing} not found in the input; available columns: {df.columns}"
        )


def column_type(df: DataFrame, name: str) -> DataType:
    """The Spark data type of column ``name`` (which must exist)."""
    return df.schema[name].dataType


def require_numeric(df: DataFrame, name: str, role: str) -> None:
    """Raise unless ``name`` exists and is numeric (booleans are accepted and read as 0/1)."""
    require_columns(df, [name], role)
    dtype = column_type(df, name)
    if not isinstance(dtype, (NumericType, BooleanType)):
        raise FeatureInputError(
            f"{role}: column '{name}' has type {dtype.simpleString()}; "
            "a numeric (or boolean) column is required"
        )


def require_categorical(df: DataFrame, name: str, role: str) -> None:
    """Raise unless ``name`` exists and is a string, integral or boolean column."""
    require_columns(df, [name], role)
    dtype = column_type(df, name)
    if not isinstance(dtype, (StringType, BooleanType)) and dtype.typeName() not in {
        "byte",
        "short",
        "integer",
        "long",
    }:
        raise FeatureInputError(
            f"{role}: column '{name}' has type {dtype.simpleString()}; "
            "a categorical column must be string, integer or boolean"
        )


def require_int(name: str, value: object, minimum: int) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FeatureInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def require_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming ``name``."""
    if value not in allowed:
        raise FeatureInputError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return str(value)


def as_double(name: str) -> Column:
    """Column ``name`` as double with NaN turned into null, so NaN is skipped like pandas skips it."""
    c = col(name).cast("double")
    return F.when(F.isnan(c), F.lit(None).cast("double")).otherwise(c)
