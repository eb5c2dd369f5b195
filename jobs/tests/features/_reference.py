"""Helpers shared by the feature tests: comparing Spark output with pandas/numpy references."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame

RTOL = 1e-9
ATOL = 1e-9


def to_pandas_sorted(df: DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Collect ``df`` to pandas (no Arrow dependency), sorted by ``keys`` with a fresh index."""
    rows = [r.asDict() for r in df.collect()]
    out = pd.DataFrame(rows, columns=df.columns)
    return out.sort_values(list(keys), kind="stable").reset_index(drop=True)


def assert_close(actual: Sequence[object], expected: Sequence[object], what: str) -> None:
    """Assert two float sequences agree within 1e-9 relative (plus 1e-9 absolute); null == NaN."""
    a = np.array([np.nan if v is None else float(v) for v in actual], dtype=float)
    e = np.array([np.nan if v is None else float(v) for v in expected], dtype=float)
    assert a.shape == e.shape, f"{what}: {a.shape} != {e.shape}"
    a_nan, e_nan = np.isnan(a), np.isnan(e)
    bad_nan = np.flatnonzero(a_nan != e_nan)
    assert bad_nan.size == 0, (
        f"{what}: null mismatch at rows {bad_nan[:10].tolist()}: {a[bad_nan[:10]]} vs {e[bad_nan[:10]]}"
    )
    ok = np.isclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True)
    bad = np.flatnonzero(~ok)
    assert bad.size == 0, (
        f"{what}: value mismatch at rows {bad[:10].tolist()}: {a[bad[:10]]} vs {e[bad[:10]]}"
    )
