"""Mergeable per-column statistics computed with numpy over Arrow batches (the validator's passes).

Each Spark partition folds its batches into one :class:`PartitionSummary` (pass 1) or one
:class:`QuantileWindow` answer (pass 2); the driver merges the partitions' results. Nothing is
generated per column, so the cost grows with the data, not with code size.

* Moments are merged with the pairwise formulas of Pébay (2008, SAND2008-6212), weights acting
  as frequency counts; each batch's moments are computed around its own mean (no cancellation).
* Distinct counts use a HyperLogLog of ``2^HLL_P`` registers over a 64-bit hash (pandas'
  ``hash_array``): relative standard error 1.04 / 2^(HLL_P / 2), linear counting for small sets.
* Quantiles are found in two passes: pass 1 keeps each chunk's exact quantile, and the global
  quantile lies between the smallest and the largest of them; pass 2 counts the values below that
  bracket and returns the values inside it, so the answer is exact unless a partition holds more
  than ``BRACKET_CAP`` values in the bracket (data ordered by the column), in which case it sends a
  strided sample whose rank error is bounded (see :func:`bracket_stride`).
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

HLL_P = 14
CHUNK_ROWS = 200_000
"""Rows per quantile chunk in pass 1: a larger chunk gives a narrower bracket but holds more memory."""
BRACKET_CAP = 200_000
"""Most values one partition returns for one bracket before it sends a strided sample instead."""
QUANTILES = (0.01, 0.99)


@dataclass
class Moments:
    """Weight (count), mean and central sums of powers 2..4 of a set of values."""

    n: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0

    @classmethod
    def of(cls, x: np.ndarray, w: np.ndarray | None = None) -> Moments:
        """Moments of ``x`` (no NaN), with frequency weights ``w`` if given."""
        if x.size == 0:
            return cls()
        n = float(x.size) if w is None else float(w.sum())
        if n == 0.0:
            return cls()
        mean = float(x.mean()) if w is None else float((w * x).sum() / n)
        d = x - mean
        d2 = d * d
        ww = 1.0 if w is None else w
        return cls(n, mean, float((ww * d2).sum()), float((ww * d2 * d).sum()), float((ww * d2 * d2).sum()))

    def merge(self, other: Moments) -> Moments:
        """The moments of both sets together."""
        if other.n == 0.0:
            return self
        if self.n == 0.0:
            return other
        na, nb = self.n, other.n
        n = na + nb
        delta = other.mean - self.mean
        m2 = self.m2 + other.m2 + delta**2 * na * nb / n
        m3 = (
            self.m3
            + other.m3
            + delta**3 * na * nb * (na - nb) / n**2
            + 3.0 * delta * (na * other.m2 - nb * self.m2) / n
        )
        m4 = (
            self.m4
            + other.m4
            + delta**4 * na * nb * (na * na - na * nb + nb * nb) / n**3
            + 6.0 * delta**2 * (na * na * other.m2 + nb * nb * self.m2) / n**2
            + 4.0 * delta * (na * other.m3 - nb * self.m3) / n
        )
        return Moments(n, self.mean + delta * nb / n, m2, m3, m4)


def hll_update(registers: np.ndarray, hashes: np.ndarray) -> None:
    """Fold 64-bit ``hashes`` into HyperLogLog ``registers`` (in place).

    The top ``HLL_P`` bits pick the register; the rank is 1 + the number of trailing zeros of the
    other bits (as good as leading zeros for a uniform hash, and exact to compute: the lowest set
    bit is a power of two, which float64 holds exactly).
    """
    if hashes.size == 0:
        return
    p = np.uint64(HLL_P)
    index = (hashes >> (np.uint64(64) - p)).astype(np.intp)
    rest = (hashes & np.uint64((1 << (64 - HLL_P)) - 1)) | np.uint64(1 << (64 - HLL_P))  # sentinel
    lowest = rest & (~rest + np.uint64(1))
    rank = (np.frexp(lowest.astype(np.float64))[1]).astype(np.uint8)  # frexp(2^k) = (0.5, k + 1)
    np.maximum.at(registers, index, rank)


def hll_estimate(registers: np.ndarray) -> int:
    """Distinct-count estimate of HyperLogLog ``registers`` (Flajolet et al. 2007, small-range corrected)."""
    m = float(registers.size)
    zeros = int((registers == 0).sum())
    if zeros == registers.size:
        return 0
    alpha = 0.7213 / (1.0 + 1.079 / m)
    raw = alpha * m * m / float(np.ldexp(1.0, -registers.astype(np.int64)).sum())
    if raw <= 2.5 * m and zeros > 0:
        return round(m * math.log(m / zeros))
    return round(raw)


def _hashes(values: np.ndarray) -> np.ndarray:
    if values.dtype == np.float64:
        values = values + 0.0  # -0.0 and 0.0 are one value
    hashed: np.ndarray = pd.util.hash_array(values, categorize=False)
    return hashed


@dataclass
class ColumnSummary:
    """Pass-1 statistics of one column over some rows."""

    numeric: bool
    rows: int = 0
    missing_w: float = 0.0
    count: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    plain: Moments = field(default_factory=Moments)
    weighted: Moments = field(default_factory=Moments)
    registers: np.ndarray = field(default_factory=lambda: np.zeros(1 << HLL_P, dtype=np.uint8))
    chunk_quantiles: list[tuple[float, ...]] = field(default_factory=list)

    def add(self, values: np.ndarray, present: np.ndarray, w: np.ndarray | None) -> None:
        """Fold one batch in (``values`` as float64 or object, ``present`` its non-missing mask)."""
        self.rows += int(present.size)
        self.missing_w += float((~present).sum()) if w is None else float(w[~present].sum())
        kept = values[present]
        self.count += int(kept.size)
        hll_update(self.registers, _hashes(kept))
        if not self.numeric or kept.size == 0:
            return
        self.minimum = min(self.minimum, float(kept.min()))
        self.maximum = max(self.maximum, float(kept.max()))
        self.plain = self.plain.merge(Moments.of(kept))
        if w is not None:
            self.weighted = self.weighted.merge(Moments.of(kept, w[present]))

    def merge(self, other: ColumnSummary) -> ColumnSummary:
        """Both summaries together (registers merged in place)."""
        np.maximum(self.registers, other.registers, out=self.registers)
        self.rows += other.rows
        self.missing_w += other.missing_w
        self.count += other.count
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.plain = self.plain.merge(other.plain)
        self.weighted = self.weighted.merge(other.weighted)
        self.chunk_quantiles += other.chunk_quantiles
        return self


@dataclass
class PartitionSummary:
    """Pass 1 over some rows: one :class:`ColumnSummary` per column plus the weight checks."""

    columns: dict[str, ColumnSummary]
    rows: int = 0
    total_w: float = 0.0
    null_w: int = 0
    min_w: float = math.inf

    def merge(self, other: PartitionSummary) -> PartitionSummary:
        """Both partitions together."""
        for name, summary in other.columns.items():
            self.columns[name].merge(summary)
        self.rows += other.rows
        self.total_w += other.total_w
        self.null_w += other.null_w
        self.min_w = min(self.min_w, other.min_w)
        return self


def column_values(array: pa.Array, numeric: bool) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow column as (values, present): float64 with NaN counted missing, or objects."""
    if numeric:
        if not pa.types.is_floating(array.type):
            array = pc.cast(array, pa.float64())
        values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
        return values, ~np.isnan(values)
    values = np.asarray(array.to_numpy(zero_copy_only=False), dtype=object)
    return values, ~pd.isna(values)


class SummarizeColumns:
    """Pass 1, run by ``mapInArrow``: a partition's batches in, one pickled summary out."""

    def __init__(self, columns: dict[str, bool], weight_col: str | None) -> None:
        self.columns = columns  # name -> numeric?
        self.weight_col = weight_col

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        summary = PartitionSummary({name: ColumnSummary(numeric) for name, numeric in self.columns.items()})
        chunk: dict[str, list[np.ndarray]] = {name: [] for name, numeric in self.columns.items() if numeric}
        chunk_rows = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            self._add(summary, batch, chunk)
            chunk_rows += batch.num_rows
            if chunk_rows >= CHUNK_ROWS:
                self._chunk_quantiles(summary, chunk)
                chunk_rows = 0
        if chunk_rows:
            self._chunk_quantiles(summary, chunk)
        yield _blob(summary)

    def _add(
        self, summary: PartitionSummary, batch: pa.RecordBatch, chunk: dict[str, list[np.ndarray]]
    ) -> None:
        w = None
        if self.weight_col is not None:
            raw = column_values(batch.column(self.weight_col), True)[0]
            summary.null_w += int(np.isnan(raw).sum())
            w = np.nan_to_num(raw, nan=0.0)
            summary.total_w += float(w.sum())
            present_w = raw[~np.isnan(raw)]
            if present_w.size:
                summary.min_w = min(summary.min_w, float(present_w.min()))
        else:
            summary.total_w += float(batch.num_rows)
        summary.rows += batch.num_rows
        for name, numeric in self.columns.items():
            values, present = column_values(batch.column(name), numeric)
            summary.columns[name].add(values, present, w)
            if numeric:
                chunk[name].append(values[present])

    @staticmethod
    def _chunk_quantiles(summary: PartitionSummary, chunk: dict[str, list[np.ndarray]]) -> None:
        """Record each column's exact chunk quantiles, then empty the chunk."""
        for name, parts in chunk.items():
            kept = np.concatenate(parts) if parts else np.empty(0)
            parts.clear()
            if kept.size:
                summary.columns[name].chunk_quantiles.append(tuple(inverted_cdf(kept, QUANTILES)))


def inverted_cdf(values: np.ndarray, qs: Sequence[float]) -> list[float]:
    """The smallest value whose share of ``values`` at or below it is >= q, for each q (no NaN)."""
    ranks = [max(0, math.ceil(q * values.size) - 1) for q in qs]
    ordered = np.sort(values)  # faster than np.partition with several ranks
    return [float(ordered[r]) for r in ranks]


@dataclass
class Bracket:
    """Where quantile ``q`` of one column must lie, and what pass 2 may send of it."""

    column: str
    q: float
    low: float
    high: float
    stride: int


def bracket_stride(count: int, partitions: int, accuracy: int) -> int:
    """Stride of a partition's fallback sample: its rank error is below the stride, and all
    partitions' errors together below ``count / accuracy / 2``."""
    return max(1, count // (2 * accuracy * max(1, partitions)))


class QuantileWindow:
    """Pass 2, run by ``mapInArrow``: per bracket, the count below it and the values inside it."""

    def __init__(self, brackets: Sequence[Bracket]) -> None:
        self.brackets = list(brackets)

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        below = [0] * len(self.brackets)
        inside: list[list[np.ndarray]] = [[] for _ in self.brackets]
        for batch in batches:
            cache: dict[str, np.ndarray] = {}
            for i, b in enumerate(self.brackets):
                if b.column not in cache:
                    values = column_values(batch.column(b.column), True)[0]
                    cache[b.column] = values[~np.isnan(values)]
                x = cache[b.column]
                below[i] += int((x < b.low).sum())
                inside[i].append(x[(x >= b.low) & (x <= b.high)])
        answers = []
        for i, b in enumerate(self.brackets):
            values = np.sort(np.concatenate(inside[i])) if inside[i] else np.empty(0)
            weight = 1
            if values.size > BRACKET_CAP:
                # Keep every stride-th value, each standing for `stride` values: rank error < stride.
                weight = b.stride
                values = values[weight - 1 :: weight]
            answers.append((below[i], values, weight))
        yield _blob(answers)


def locate_quantile(q: float, count: int, answers: Sequence[tuple[int, np.ndarray, int]]) -> float:
    """Quantile ``q`` of ``count`` values from every partition's (below, values, weight) answer."""
    below = sum(a[0] for a in answers)
    values = np.concatenate([a[1] for a in answers]) if answers else np.empty(0)
    weights = np.concatenate([np.full(a[1].size, a[2], dtype=np.int64) for a in answers]) if answers else None
    if values.size == 0 or weights is None:
        return math.nan
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    # Every strided sample value stands for the `weight` values up to it (its own included).
    cumulative = below + np.cumsum(weights)
    target = max(1, math.ceil(q * count))
    index = int(np.searchsorted(cumulative, target, side="left"))
    return float(values[min(index, values.size - 1)])


def _blob(value: object) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([pickle.dumps(value)], type=pa.binary())], names=["blob"])


def read_blobs(rows: Sequence[object]) -> list[object]:
    """The pickled partition results collected from a pass (``Row(blob=...)`` each)."""
    return [pickle.loads(bytes(r["blob"])) for r in rows]  # type: ignore[index]
