"""SQL given on the command line, parsed and analyzed by Spark against the table's schema first.

Spark parses an expression when it is built (``F.expr``) and analyzes a plan when a DataFrame is
defined, both without reading any row; so every expression is checked here before a job changes
anything, and a bad one becomes a :class:`TableInputError` (exit 2) naming it.
"""

from __future__ import annotations

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.tables.errors import TableInputError


def condition(df: DataFrame, text: str, option: str = "--where") -> Column:
    """``text`` as a boolean condition on ``df``'s columns (checked: parses, resolves, is boolean)."""
    if not text or not text.strip():
        raise TableInputError(f"{option} must be a SQL condition, got an empty string")
    try:
        column = F.expr(text)
        kind = df.select(column.alias("_c")).schema["_c"].dataType.typeName()
    except (ParseException, AnalysisException) as exc:
        raise TableInputError(
            f"{option} {text!r} is not a valid condition here: {_first_line(exc)}"
        ) from None
    if kind not in ("boolean", "void"):
        raise TableInputError(f"{option} {text!r} is a {kind}, expected a boolean condition")
    return column


def assignments(df: DataFrame, texts: list[str]) -> dict[str, str]:
    """``["col = expr", ...]`` as ``{col: expr}``, each column a column of ``df``, each expr valid on it."""
    if not texts:
        raise TableInputError("update needs at least one --set 'column = expression'")
    out: dict[str, str] = {}
    for text in texts:
        name, eq, value = text.partition("=")
        name, value = name.strip().strip("`"), value.strip()
        if not eq or not name or not value or value.startswith("="):
            raise TableInputError(f"--set must be 'column = expression', got {text!r}")
        if name not in df.columns:
            raise TableInputError(f"--set {text!r}: no column {name!r} (columns: {df.columns})")
        if name in out:
            raise TableInputError(f"--set names column {name!r} twice")
        try:
            df.select(F.expr(value).cast(df.schema[name].dataType))
        except (ParseException, AnalysisException) as exc:
            raise TableInputError(
                f"--set {text!r} is not a valid expression here: {_first_line(exc)}"
            ) from None
        out[name] = value
    return out


def query(spark: SparkSession, sql: str) -> DataFrame:
    """A SELECT over the registered views, analyzed but not run; statements other than queries refused.

    Wrapping the text as a subquery makes anything but a query (DROP, INSERT, SET ...) a parse error,
    so nothing is executed while it is checked.
    """
    if not sql or not sql.strip():
        raise TableInputError("--sql must be a SELECT query, got an empty string")
    body = sql.strip().rstrip(";")
    try:
        return spark.sql(f"SELECT * FROM ({body}) AS _spark_deploy_query")
    except (ParseException, AnalysisException) as exc:
        raise TableInputError(
            f"--sql is not a valid query over the view 'input': {_first_line(exc)}"
        ) from None


def columns_present(df: DataFrame, names: list[str], what: str, option: str) -> None:
    """Every name is a column of ``df``."""
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise TableInputError(f"{option}: {what} has no column {missing} (columns: {df.columns})")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
