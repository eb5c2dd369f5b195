"""Vectorized rolling-window kernels over rows already sorted by (group, time).

Used by :class:`spark_jobs.features.temporal_trends.TemporalTrendFeatures` inside ``mapInArrow``:
Spark shuffles by the group key and sorts each partition once; these kernels then compute every
feature of a batch with numpy over an ``(rows, window)`` view of the values, so a feature costs
O(rows x window) in numpy instead of a per-row window frame in the JVM.

Row ``i``'s window holds the values ``lag = 0 .. window - 1`` rows back; a lag belongs to the
window only when it stays in the same group (``position_in_group[i] >= lag``) and is not null.
Every statistic is computed directly from the window's values (centred before squaring), so
there is no running-sum cancellation. NaN stands for null throughout.

:func:`same_as_previous` and :func:`as_float` are shared with the event-time window kernel
(:mod:`spark_jobs.ml._range_kernels`), which carries rows across batches the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class KernelFeature:
    """What a kernel needs of one feature: kind, input column, window/periods, output name."""

    kind: str
    value_col: str
    size: int  # window (rows) or periods (lag) for delta/pct_change
    volatility_kind: str
    name: str

    @property
    def lookback(self) -> int:
        """How many earlier rows this feature reads."""
        return self.size if self.kind in ("delta", "pct_change") else self.size - 1


class _Window:
    """The window of one value column as a ``(w, rows)`` array (row ``lag`` = values ``lag`` rows back).

    Lags are the leading axis so every reduction runs over contiguous rows of length ``rows``
    (numpy reduces a short trailing axis an element at a time).
    """

    def __init__(self, x: np.ndarray, position: np.ndarray, w: int) -> None:
        n = x.size
        padded = np.concatenate([np.full(w - 1, np.nan), x])
        view = np.stack([padded[w - 1 - lag : w - 1 - lag + n] for lag in range(w)])
        in_group = position[None, :] >= np.arange(w)[:, None]
        self.valid = in_group & ~np.isnan(view)
        self.values = np.where(self.valid, view, 0.0)
        self.count = self.valid.sum(axis=0)
        self.w = w
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean = self.values.sum(axis=0) / self.count
        self._centred: np.ndarray | None = None

    @property
    def centred(self) -> np.ndarray:
        """Values minus the window mean (0 where not valid)."""
        if self._centred is None:
            self._centred = np.where(self.valid, self.values - self.mean[None, :], 0.0)
        return self._centred

    def std(self) -> np.ndarray:
        """Sample standard deviation (ddof 1) where the window has >= 2 values."""
        c = self.centred
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.sqrt((c * c).sum(axis=0) / (self.count - 1))
        return np.where(self.count >= 2, out, np.nan)

    def slope(self) -> np.ndarray:
        """Least-squares slope of the window's values against their row position (>= 2 values)."""
        # Lag L sits at position -L (only differences matter). With y centred on the valid values,
        # sum((t - t_mean)(y - y_mean)) = sum(t (y - y_mean)); the t sums are small exact integers.
        t = -np.arange(self.w, dtype=float)[:, None]
        t_sum = (self.valid * t).sum(axis=0)
        tt_sum = (self.valid * (t * t)).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (self.centred * t).sum(axis=0) / (tt_sum - t_sum * t_sum / self.count)
        return np.where(self.count >= 2, out, np.nan)

    def range(self) -> np.ndarray:
        """Max minus min of the window's values (null when it has none)."""
        hi = np.where(self.valid, self.values, -np.inf).max(axis=0)
        lo = np.where(self.valid, self.values, np.inf).min(axis=0)
        return np.where(self.count >= 1, hi - lo, np.nan)

    def rank(self, x: np.ndarray) -> np.ndarray:
        """Average-tie rank of the current value among the window's values, divided by their count."""
        earlier = self.values[1:]
        valid = self.valid[1:]
        current = x[None, :]
        smaller = (valid & (earlier < current)).sum(axis=0)
        equal = (valid & (earlier == current)).sum(axis=0)
        present = valid.sum(axis=0) + 1
        return np.where(np.isnan(x), np.nan, (1.0 + smaller + equal / 2.0) / present)


def _lagged(x: np.ndarray, position: np.ndarray, k: int) -> np.ndarray:
    prev = np.full_like(x, np.nan)
    if k < len(x):
        prev[k:] = x[:-k]
    return np.where(position >= k, prev, np.nan)


def compute_features(
    values: dict[str, np.ndarray], position: np.ndarray, features: Sequence[KernelFeature]
) -> dict[str, np.ndarray]:
    """Every feature over sorted rows; ``position`` is each row's index within its group."""
    windows: dict[tuple[str, int], _Window] = {}

    def window(column: str, w: int) -> _Window:
        key = (column, w)
        if key not in windows:
            windows[key] = _Window(values[column], position, w)
        return windows[key]

    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for f in features:
            x = values[f.value_col]
            if f.kind == "delta":
                out[f.name] = x - _lagged(x, position, f.size)
            elif f.kind == "pct_change":
                prev = _lagged(x, position, f.size)
                # A zero denominator gives null, as Spark's try_divide (pandas gives +-inf).
                out[f.name] = np.where(prev == 0.0, np.nan, x / prev - 1.0)
            elif f.kind == "momentum":
                out[f.name] = x - window(f.value_col, f.size).mean
            elif f.kind == "volatility":
                win = window(f.value_col, f.size)
                std = win.std()
                if f.volatility_kind == "cv":
                    std = np.where(win.mean == 0.0, np.nan, std / win.mean)
                out[f.name] = std
            elif f.kind == "trend_slope":
                out[f.name] = window(f.value_col, f.size).slope()
            elif f.kind == "rolling_rank":
                out[f.name] = window(f.value_col, f.size).rank(x)
            elif f.kind == "minmax_range":
                out[f.name] = window(f.value_col, f.size).range()
            else:  # pragma: no cover - TrendFeature checks the kind
                raise ValueError(f"unknown trend kind {f.kind!r}")
    return out


def same_as_previous(keys: Sequence[pa.Array]) -> np.ndarray:
    """For rows 1..n-1: whether the row has the same group key as the one before (null == null)."""
    n = len(keys[0]) if keys else 0
    same = np.ones(max(n - 1, 0), dtype=bool)
    for key in keys:
        if n < 2:
            break
        cur, prev = key.slice(1), key.slice(0, n - 1)
        both_null = pc.and_(pc.is_null(cur), pc.is_null(prev))
        equal = pc.fill_null(pc.equal(cur, prev), False)
        same &= pc.or_(equal, both_null).to_numpy(zero_copy_only=False)
    return same


def as_float(array: pa.Array) -> np.ndarray:
    """A numeric (or boolean) Arrow array as float64 with null and NaN both NaN."""
    if pa.types.is_boolean(array.type) or pa.types.is_decimal(array.type):
        array = pc.cast(array, pa.float64())
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=float)


class SortedBatchFeatures:
    """Features over a stream of Arrow batches of one partition sorted by (group, time).

    A window can reach back into the previous batch, so the last ``lookback`` rows (their keys,
    values and in-group positions) are carried into the next one.
    """

    def __init__(self, group_cols: Sequence[str], features: Sequence[KernelFeature]) -> None:
        self.group_cols = list(group_cols)
        self.features = list(features)
        self.value_cols = list(dict.fromkeys(f.value_col for f in features))
        self.lookback = max((f.lookback for f in features), default=0)

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        carry_keys: list[pa.Array] = []
        carry_values: dict[str, np.ndarray] = {c: np.empty(0) for c in self.value_cols}
        carry_position = np.empty(0, dtype=np.int64)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            keys = [batch.column(c) for c in self.group_cols]
            if carry_keys:
                keys = [pa.concat_arrays([old, new]) for old, new in zip(carry_keys, keys)]
            values = {
                c: np.concatenate([carry_values[c], as_float(batch.column(c))]) for c in self.value_cols
            }
            rows = len(carry_position) + batch.num_rows
            same = same_as_previous(keys) if self.group_cols else np.ones(rows - 1, dtype=bool)
            position = _positions(same, carry_position)
            computed = compute_features(values, position, self.features)
            skip = len(carry_position)
            columns = list(batch.columns) + [
                pa.array(computed[f.name][skip:], mask=np.isnan(computed[f.name][skip:]), type=pa.float64())
                for f in self.features
            ]
            names = list(batch.schema.names) + [f.name for f in self.features]
            yield pa.RecordBatch.from_arrays(columns, names=names)
            keep = min(self.lookback, len(position))
            total = len(position)
            carry_keys = [k.slice(total - keep) for k in keys]
            carry_values = {c: v[total - keep :] for c, v in values.items()}
            carry_position = position[total - keep :]


def _positions(same: np.ndarray, carried: np.ndarray) -> np.ndarray:
    """Index of every row within its group; ``same[i]`` says row ``i + 1`` continues row ``i``'s group.

    The first rows are the carried ones, which keep their positions (the first run continues them).
    """
    index = np.arange(len(same) + 1)
    start = np.concatenate([[True], ~same])
    run_start = np.maximum.accumulate(np.where(start, index, 0))
    position = index - run_start
    if len(carried):
        position[run_start == 0] += carried[0]
    return position
