"""A realistic, deterministic sample dataset: customer transactions over about 90 days.

``python -m spark_jobs.sample_data --rows N --output PATH --seed S`` writes a Parquet dataset
(a directory of ``part-*.parquet`` files) with one row per transaction:

===========  =========  ==================================================================
column       type       content
===========  =========  ==================================================================
customer_id  string     ``c000042``; a few heavy customers carry a large share of the rows
event_time   timestamp  UTC, spread over :data:`PERIOD_DAYS` days from :data:`START`;
                        unique, so per-customer time order is well defined
amount       double     log-normal, drifting upward in the second half (PSI sees it);
                        about 4 % null
category     string     one of :data:`CATEGORIES`, mix shifting over time; about 3 % null
channel      string     one of :data:`CHANNELS`
label        int        0/1, drawn from a logistic model of amount, category and channel
weight       double     > 0, sampling weight
===========  =========  ==================================================================

Generated with numpy and written with pyarrow (no Spark needed), so the data is identical on
every Spark line for a given seed and row count.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""First instant of the data."""
PERIOD_DAYS = 90
"""The data spans this many days; the validation compares the first half with the second."""
CATEGORIES: tuple[str, ...] = ("grocery", "electronics", "travel", "fashion", "home", "health")
CHANNELS: tuple[str, ...] = ("web", "mobile", "store")
HEAVY_CUSTOMERS = 3
"""How many customers are heavy (skew)."""
HEAVY_SHARE = 0.3
"""Share of all rows that belong to the heavy customers."""
AMOUNT_NULL_RATE = 0.04
CATEGORY_NULL_RATE = 0.03
MAX_ROWS_PER_FILE = 250_000

SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("event_time", pa.timestamp("us", tz="UTC")),
        ("amount", pa.float64()),
        ("category", pa.string()),
        ("channel", pa.string()),
        ("label", pa.int32()),
        ("weight", pa.float64()),
    ]
)
"""The Parquet schema written."""


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`write_sample_data` wrote."""

    path: str
    rows: int
    files: int
    customers: int


def _customers(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, int]:
    """Customer index per row: heavy customers take HEAVY_SHARE, the rest spread evenly."""
    n_customers = max(HEAVY_CUSTOMERS + 5, rows // 25)
    heavy = rng.random(rows) < HEAVY_SHARE
    ids = np.where(
        heavy,
        rng.integers(0, HEAVY_CUSTOMERS, rows),
        rng.integers(HEAVY_CUSTOMERS, n_customers, rows),
    )
    return ids, n_customers


def _event_micros(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Distinct event times in microseconds since START, spread uniformly over PERIOD_DAYS."""
    span_ms = PERIOD_DAYS * 86_400_000
    if rows > span_ms // 4:
        raise ValueError(
            f"rows: {rows} is too many for distinct millisecond timestamps; at most {span_ms // 4}"
        )
    millis = rng.choice(span_ms, size=rows, replace=False)
    return np.sort(millis).astype(np.int64) * 1000


def generate(rows: int, seed: int = 7) -> pd.DataFrame:
    """The sample transactions as a pandas DataFrame (deterministic for ``rows`` and ``seed``).

    Raises ``ValueError`` naming the field when ``rows`` is not a positive whole number.
    """
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
        raise ValueError(f"rows: expected a whole number >= 1, got {rows!r}")
    rng = np.random.default_rng(seed)
    customer_idx, _ = _customers(rng, rows)
    micros = _event_micros(rng, rows)
    # Position in time, 0 at START and 1 at the end: drives the drift between the two halves.
    t = micros / (PERIOD_DAYS * 86_400e6)
    second_half = t >= 0.5

    # Category mix drifts: travel and electronics gain share in the second half.
    base_p = np.array([0.30, 0.15, 0.10, 0.20, 0.15, 0.10])
    late_p = np.array([0.22, 0.22, 0.18, 0.16, 0.12, 0.10])
    cat_idx = np.where(
        second_half,
        rng.choice(len(CATEGORIES), size=rows, p=late_p),
        rng.choice(len(CATEGORIES), size=rows, p=base_p),
    )
    chan_idx = rng.choice(len(CHANNELS), size=rows, p=[0.45, 0.40, 0.15])

    # Amounts: log-normal, scaled per category, heavy customers spend more, +25 % drift late.
    cat_scale = np.array([1.0, 4.0, 6.0, 1.8, 2.5, 1.2])[cat_idx]
    heavy = customer_idx < HEAVY_CUSTOMERS
    amount = rng.lognormal(mean=3.0, sigma=0.8, size=rows) * cat_scale
    amount = amount * np.where(heavy, 1.8, 1.0) * np.where(second_half, 1.25, 1.0)
    amount = np.round(amount, 2)

    # Label: logistic in log-amount, category and channel, so features carry signal.
    logit = (
        -3.2
        + 0.55 * (np.log(amount) - 3.5)
        + np.array([0.0, 0.6, 0.9, -0.2, 0.1, 0.3])[cat_idx]
        + np.array([0.0, 0.4, -0.5])[chan_idx]
        + np.where(heavy, 0.5, 0.0)
    )
    label = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int32)
    weight = np.round(rng.gamma(shape=4.0, scale=0.25, size=rows) + 0.05, 4)

    amount_col = pd.Series(amount, dtype="float64")
    amount_col[rng.random(rows) < AMOUNT_NULL_RATE] = np.nan
    category_col = pd.Series(np.asarray(CATEGORIES, dtype=object)[cat_idx], dtype="object")
    category_col[rng.random(rows) < CATEGORY_NULL_RATE] = None

    return pd.DataFrame(
        {
            "customer_id": pd.Series([f"c{i:06d}" for i in customer_idx], dtype="object"),
            "event_time": pd.to_datetime(micros + int(START.timestamp() * 1e6), unit="us", utc=True),
            "amount": amount_col,
            "category": category_col,
            "channel": pd.Series(np.asarray(CHANNELS, dtype=object)[chan_idx], dtype="object"),
            "label": label,
            "weight": weight,
        }
    )


PERIODS: tuple[str, ...] = ("all", "first", "second")
"""``first``/``second``: the rows before/from the midpoint of the span (the two validation periods)."""


def select_period(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """The rows of ``frame`` in ``period`` (one of :data:`PERIODS`)."""
    if period not in PERIODS:
        raise ValueError(f"period: expected one of {list(PERIODS)}, got {period!r}")
    if period == "all":
        return frame
    midpoint = pd.Timestamp(START) + pd.Timedelta(days=PERIOD_DAYS / 2)
    early = frame["event_time"] < midpoint
    return frame[early if period == "first" else ~early].reset_index(drop=True)


def write_sample_data(
    output: str | Path,
    rows: int,
    seed: int = 7,
    rows_per_file: int = MAX_ROWS_PER_FILE,
    period: str = "all",
) -> SampleSummary:
    """Generate the data and write it as Parquet files under the local directory ``output``.

    The directory is replaced. Files are ``part-00000.parquet``, ... of at most ``rows_per_file``
    rows each, in event-time order. ``period`` keeps one half of the generated rows (the same rows
    the full dataset holds for that half), so the two halves can be processed as two datasets.
    """
    if isinstance(rows_per_file, bool) or not isinstance(rows_per_file, int) or rows_per_file < 1:
        raise ValueError(f"rows_per_file: expected a whole number >= 1, got {rows_per_file!r}")
    out = Path(output)
    if "://" in str(output):
        raise ValueError(f"output: expected a local directory, got {output!r}; upload it afterwards")
    frame = select_period(generate(rows, seed), period)
    rows = len(frame)
    table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    files = max(1, math.ceil(rows / rows_per_file))
    for i in range(files):
        pq.write_table(table.slice(i * rows_per_file, rows_per_file), tmp / f"part-{i:05d}.parquet")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return SampleSummary(path=str(out), rows=rows, files=files, customers=int(frame["customer_id"].nunique()))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``--rows N --output PATH [--seed S] [--rows-per-file K]``."""
    parser = argparse.ArgumentParser(
        prog="python -m spark_jobs.sample_data", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, required=True, help="number of transactions")
    parser.add_argument("--output", required=True, help="local directory to write (replaced)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--rows-per-file", type=int, default=MAX_ROWS_PER_FILE)
    parser.add_argument(
        "--period", default="all", help="all (default), or first/second: one half of the time span"
    )
    args = parser.parse_args(argv)
    try:
        summary = write_sample_data(args.output, args.rows, args.seed, args.rows_per_file, args.period)
    except ValueError as err:
        print(f"sample_data: {err}", file=sys.stderr)
        return 2
    print(
        f"sample_data: wrote {summary.rows} rows of {summary.customers} customers "
        f"in {summary.files} file(s) to {summary.path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
