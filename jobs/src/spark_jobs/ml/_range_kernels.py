"""Event-time (RANGE) window statistics over Arrow batches of rows sorted by (key, event time).

Used by :func:`spark_jobs.ml.time_windows.time_window_features` inside ``mapInArrow``: Spark
shuffles by key and sorts each partition once; this kernel then finds every row's window
``(t - span, t]`` with ``searchsorted`` and takes count, sum, mean and std from prefix sums, so a
window costs O(log rows) per row whatever its length (Spark's RANGE frames re-aggregated theirs).

* Ties: a row's window ends after the last row of its key with the same time (SQL ``RANGE``).
* Null event time: the row gets nulls and is in no other row's window (it sorts first in its key).
* Precision: values are centred on their key's mean before the squares are summed, and the prefix
  sums are long double, so ``sum(y^2) - sum(y)^2 / n`` keeps its digits; a window whose values are
  all equal has std exactly 0 (found from runs of equal values, not from the sums).

Batches: a window can reach back into earlier batches and a tie can continue into the next one, so
the rows of the batch's last key within the longest window are carried into the next batch, and the
last tie is emitted only once the next batch (or the end of the partition) shows it complete. The
grouping helpers are the trend kernels' (:mod:`spark_jobs.features._rolling_kernels`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from spark_jobs.features._rolling_kernels import as_float, same_as_previous


@dataclass(frozen=True)
class RangeWindow:
    """One window: its span in microseconds and the output names of count, sum, mean and std."""

    span_us: int
    count: str
    sum: str
    mean: str
    std: str


class _PrefixSums:
    """Prefix sums of one value column over sorted rows (NaN = null), shared by every window."""

    def __init__(self, x: np.ndarray, gid: np.ndarray) -> None:
        valid = ~np.isnan(x)
        x0 = np.where(valid, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = np.nan_to_num(np.bincount(gid, weights=x0) / np.bincount(gid, weights=valid))
        y = np.where(valid, x - ref[gid], 0.0).astype(np.longdouble)
        zero = np.zeros(1, dtype=np.longdouble)
        self.count = np.concatenate([[0], np.cumsum(valid)])
        self.x = np.concatenate([zero, np.cumsum(x0.astype(np.longdouble))])
        self.y = np.concatenate([zero, np.cumsum(y)])
        self.yy = np.concatenate([zero, np.cumsum(y * y)])
        # changes[k]: how many of the first k + 1 non-null values differ from the value before them.
        values = x[valid]
        self.changes = np.concatenate([[0], np.cumsum(values[1:] != values[:-1])])

    def statistics(self, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, ...]:
        """count, sum, mean and std (ddof 1) of the non-null values of rows ``[start, end)``."""
        count = self.count[end] - self.count[start]
        sy = self.y[end] - self.y[start]
        with np.errstate(invalid="ignore", divide="ignore"):
            total = (self.x[end] - self.x[start]).astype(float)
            mean = total / count
            m2 = self.yy[end] - self.yy[start] - sy * sy / count
            std = np.sqrt(np.maximum(m2, 0.0) / (count - 1)).astype(float)
        has_two = count >= 2
        constant = np.zeros(len(end), dtype=bool)
        first, last = self.count[start][has_two], self.count[end][has_two] - 1
        constant[has_two] = self.changes[last] == self.changes[first]
        std = np.where(has_two, np.where(constant, 0.0, std), np.nan)
        return count, total, mean, std


class SortedRangeWindows:
    """The ``mapInArrow`` function: input columns, then count/sum/mean/std of every window."""

    def __init__(self, key_col: str, time_col: str, value_col: str, windows: Sequence[RangeWindow]) -> None:
        self.key_col = key_col
        self.time_col = time_col  # event time in microseconds (int64)
        self.value_col = value_col
        self.windows = list(windows)
        self.longest = max(w.span_us for w in self.windows)

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        carry: pa.Table | None = None
        emitted = 0  # leading rows of ``carry`` already emitted
        for batch in batches:
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch])
            if carry is not None:
                table = pa.concat_tables([carry, table])
            out, done, keep_from = self._compute(table, emitted, final=False)
            if out is not None:
                yield out
            carry = table.slice(keep_from)
            emitted = done - keep_from
        if carry is not None and emitted < carry.num_rows:
            out, _, _ = self._compute(carry, emitted, final=True)
            if out is not None:
                yield out

    def _compute(self, table: pa.Table, emitted: int, final: bool) -> tuple[pa.RecordBatch | None, int, int]:
        """Features of rows ``[emitted, done)``; returns them, ``done`` and where the next carry starts."""
        table = table.combine_chunks()
        n = table.num_rows
        key = table.column(self.key_col).combine_chunks()
        gid = np.concatenate([[0], np.cumsum(~same_as_previous([key]))]).astype(np.int64)
        time = table.column(self.time_col).combine_chunks()
        has_time = np.asarray(time.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        t = np.asarray(time.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        # Rank times and window starts together, so (key, time) becomes one sortable integer without
        # overflow; rank 0 is a null time, which sorts first in its key (ascending, nulls first).
        timed = t[has_time]
        uniq = np.unique(np.concatenate([timed, *(timed - w.span_us for w in self.windows)]))
        width = len(uniq) + 1

        def composite(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
            return groups * width + np.searchsorted(uniq, values) + 1

        comp = np.where(has_time, composite(t, gid), gid * width)
        if n > 1 and bool(np.any(comp[1:] < comp[:-1])):
            raise ValueError("SortedRangeWindows: rows are not sorted by (key, event time)")
        end = np.searchsorted(comp, comp, side="right")
        done = n if final else int(np.searchsorted(comp, comp[-1], side="left"))
        keep_from = done
        if not final and has_time[-1]:
            query = composite(np.array([t[-1] - self.longest]), gid[-1:])
            keep_from = min(done, int(np.searchsorted(comp, query, side="right")[0]))
        if done <= emitted:
            return None, done, keep_from
        sums = _PrefixSums(as_float(table.column(self.value_col).combine_chunks()), gid)
        rows = slice(emitted, done)
        end, missing_time = end[rows], ~has_time[rows]
        columns = list(table.slice(emitted, done - emitted).columns)
        names = list(table.schema.names)
        for w in self.windows:
            query = gid[rows] * width  # null times: masked below
            timed = has_time[rows]
            query[timed] = composite(t[rows][timed] - w.span_us, gid[rows][timed])
            count, total, mean, std = sums.statistics(np.searchsorted(comp, query, side="right"), end)
            empty = (count == 0) | missing_time
            columns += [
                pa.array(count, mask=missing_time, type=pa.int64()),
                pa.array(total, mask=empty, type=pa.float64()),
                pa.array(mean, mask=empty, type=pa.float64()),
                pa.array(std, mask=np.isnan(std) | missing_time, type=pa.float64()),
            ]
            names += [w.count, w.sum, w.mean, w.std]
        return pa.RecordBatch.from_arrays([_one_chunk(c) for c in columns], names=names), done, keep_from


def _one_chunk(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
