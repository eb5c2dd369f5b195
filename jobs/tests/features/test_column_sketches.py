"""The validator's mergeable sketches against numpy/scipy, on Arrow batches split like Spark partitions."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sstats

from spark_jobs.features import _column_sketches as sk

from ._reference import assert_close


def _batches(x: np.ndarray, size: int) -> list[pa.RecordBatch]:
    return [
        pa.RecordBatch.from_arrays([pa.array(x[i : i + size], from_pandas=True)], names=["x"])
        for i in range(0, len(x), size)
    ]


def _summaries(parts: list[np.ndarray], batch: int) -> tuple[sk.PartitionSummary, int]:
    merged = sk.PartitionSummary({"x": sk.ColumnSummary(True)})
    for part in parts:
        (blob,) = list(sk.SummarizeColumns({"x": True}, None)(iter(_batches(part, batch))))
        merged.merge(sk.read_blobs([{"blob": blob.column(0)[0].as_py()}])[0])  # type: ignore[arg-type]
    return merged, len(parts)


def _quantiles(parts: list[np.ndarray], summary: sk.PartitionSummary, partitions: int) -> list[float]:
    c = summary.columns["x"]
    stride = sk.bracket_stride(c.count, partitions, 1000)
    brackets = [
        sk.Bracket(
            "x", q, min(ch[i] for ch in c.chunk_quantiles), max(ch[i] for ch in c.chunk_quantiles), stride
        )
        for i, q in enumerate(sk.QUANTILES)
    ]
    answers = []
    for part in parts:
        (blob,) = list(sk.QuantileWindow(brackets)(iter(_batches(part, 10_000))))
        answers.append(sk.read_blobs([{"blob": blob.column(0)[0].as_py()}])[0])
    return [sk.locate_quantile(b.q, c.count, [a[i] for a in answers]) for i, b in enumerate(brackets)]


def _inverted_cdf(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x[~np.isnan(x)], q, method="inverted_cdf"))


def test_moments_merged_over_partitions_equal_numpy_and_scipy() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(3.0, 1.0, 50_000) + 1e6  # a large offset: naive power sums would cancel
    parts = np.array_split(x, 7)
    summary, _ = _summaries(parts, 3_000)
    m = summary.columns["x"].plain
    assert m.n == x.size
    assert_close([m.mean], [x.mean()], "mean")
    assert_close([math.sqrt(m.m2 / (m.n - 1))], [x.std(ddof=1)], "std")
    c2 = m.m2 / m.n
    assert_close([(m.m3 / m.n) / c2**1.5], [sstats.skew(x, bias=True)], "skewness")
    assert_close([(m.m4 / m.n) / c2**2 - 3], [sstats.kurtosis(x, bias=True)], "kurtosis")


def test_weighted_moments_equal_repeated_values() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(5.0, 2.0, 2_000)
    w = rng.integers(0, 4, x.size).astype(float)
    a = sk.Moments.of(x[:700], w[:700]).merge(sk.Moments.of(x[700:], w[700:]))
    repeated = np.repeat(x, w.astype(int))
    assert a.n == repeated.size
    assert_close(
        [a.mean, a.m2, a.m3, a.m4],
        [
            repeated.mean(),
            ((repeated - repeated.mean()) ** 2).sum(),
            ((repeated - repeated.mean()) ** 3).sum(),
            ((repeated - repeated.mean()) ** 4).sum(),
        ],
        "weighted central sums",
    )


@pytest.mark.parametrize("distinct", [0, 1, 17, 900, 20_000, 300_000])
def test_hyperloglog_within_three_standard_errors(distinct: int) -> None:
    rng = np.random.default_rng(distinct)
    values = rng.permutation(np.arange(distinct, dtype=float) * 0.37)
    values = np.concatenate([values, values[: distinct // 2]])  # duplicates must not count
    registers = np.zeros(1 << sk.HLL_P, dtype=np.uint8)
    for chunk in np.array_split(values, 5):
        part = np.zeros_like(registers)
        sk.hll_update(part, sk._hashes(chunk))
        np.maximum(registers, part, out=registers)
    estimate = sk.hll_estimate(registers)
    error = 3 * 1.04 / math.sqrt(registers.size)
    assert abs(estimate - distinct) <= max(error * distinct, 1), (estimate, distinct)


def test_zero_and_negative_zero_are_one_value() -> None:
    registers = np.zeros(1 << sk.HLL_P, dtype=np.uint8)
    sk.hll_update(registers, sk._hashes(np.array([0.0, -0.0, 0.0])))
    assert sk.hll_estimate(registers) == 1


def test_percentiles_are_exact_on_shuffled_data() -> None:
    rng = np.random.default_rng(5)
    x = rng.exponential(3.0, 600_000).round(2)  # many ties
    x[rng.random(x.size) < 0.05] = np.nan
    parts = np.array_split(x, 4)
    summary, partitions = _summaries(parts, 10_000)
    got = _quantiles(parts, summary, partitions)
    assert got == [_inverted_cdf(x, q) for q in sk.QUANTILES]


def test_percentiles_keep_their_rank_bound_when_data_is_sorted_by_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Partitions ordered by the value make every chunk's percentile different: the bracket is wide,
    # the partitions send strided samples, and the rank error must stay within 0.1%.
    monkeypatch.setattr(sk, "BRACKET_CAP", 1_000)
    rng = np.random.default_rng(6)
    x = np.sort(rng.normal(0.0, 1.0, 400_000))
    parts = np.array_split(x, 8)
    summary, partitions = _summaries(parts, 10_000)
    for q, got in zip(sk.QUANTILES, _quantiles(parts, summary, partitions)):
        below, at_or_below = np.mean(x < got), np.mean(x <= got)
        assert below <= q + 1e-3 and at_or_below >= q - 1e-3, (q, got, below, at_or_below)
