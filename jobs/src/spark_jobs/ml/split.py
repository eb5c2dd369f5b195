"""Deterministic train/test split of whole keys (users) by a hash of key and seed.

A key goes to the test side when ``bucket(key) < test_fraction``, where ``bucket`` is the first 13
hex digits (52 bits) of ``SHA-256("<seed>:<key as Spark's string>")`` divided by ``16**13``: a
uniform number in [0, 1) that depends on nothing but the key and the seed. So the split is the same
on every recomputation, executor count, partitioning and Spark version (SHA-256 is fixed, unlike
``randomSplit``, whose rows move with the partitioning), every row of a key is on the same side,
and anyone can recompute a key's side with ``hashlib`` (the tests do). A null key hashes as the
empty string. The realized fraction differs from the requested one by the luck of the hash (and,
for rows, by how many rows the test users have), so it is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.features._checks import col, require_categorical
from spark_jobs.features.errors import FeatureInputError
from spark_jobs.ml._params import require_fraction

SPLIT_COL = "split"
TRAIN, TEST = "train", "test"
_HEX_DIGITS = 13


def split_bucket(key: Column, seed: int) -> Column:
    """The key's uniform number in [0, 1) (see the module docstring)."""
    text = F.concat(F.lit(f"{seed}:"), F.coalesce(key.cast("string"), F.lit("")))
    digits = F.substring(F.sha2(text, 256), 1, _HEX_DIGITS)
    return F.conv(digits, 16, 10).cast("long") / float(16**_HEX_DIGITS)


@dataclass(frozen=True)
class TrainTestSplit:
    """The rows with their side in :data:`SPLIT_COL`, and each side on its own."""

    labeled: DataFrame
    key_col: str
    test_fraction: float
    seed: int

    @property
    def train(self) -> DataFrame:
        """The training rows (without the split column)."""
        return self.labeled.where(F.col(SPLIT_COL) == TRAIN).drop(SPLIT_COL)

    @property
    def test(self) -> DataFrame:
        """The test rows (without the split column)."""
        return self.labeled.where(F.col(SPLIT_COL) == TEST).drop(SPLIT_COL)

    def report(self) -> dict[str, Any]:
        """Rows and keys per side and the realized test fractions (one aggregation)."""
        counts = {
            r[SPLIT_COL]: (int(r["rows"]), int(r["keys"]))
            for r in self.labeled.groupBy(SPLIT_COL)
            .agg(F.count(F.lit(1)).alias("rows"), F.countDistinct(col(self.key_col)).alias("keys"))
            .collect()
        }
        train_rows, train_keys = counts.get(TRAIN, (0, 0))
        test_rows, test_keys = counts.get(TEST, (0, 0))
        rows, keys = train_rows + test_rows, train_keys + test_keys
        return {
            "requested_test_fraction": self.test_fraction,
            "seed": self.seed,
            "train": {"rows": train_rows, "users": train_keys},
            "test": {"rows": test_rows, "users": test_keys},
            "realized_test_fraction": {
                "rows": test_rows / rows if rows else 0.0,
                "users": test_keys / keys if keys else 0.0,
            },
        }


def require_seed(seed: object) -> int:
    """``seed`` if it is an integer, else an error naming it."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise FeatureInputError(f"seed must be an integer, got {seed!r}")
    return seed


def train_test_split(df: DataFrame, key_col: str, test_fraction: float, seed: int) -> TrainTestSplit:
    """Assign every key (all its rows) to train or test; see the module docstring."""
    require_categorical(df, key_col, "train_test_split: key_col")
    fraction = require_fraction("test_fraction", test_fraction)
    seed = require_seed(seed)
    if SPLIT_COL in df.columns:
        raise FeatureInputError(f"train_test_split: the input already has a column '{SPLIT_COL}'")
    side = F.when(split_bucket(col(key_col), seed) < F.lit(fraction), F.lit(TEST)).otherwise(F.lit(TRAIN))
    return TrainTestSplit(df.withColumn(SPLIT_COL, side), key_col, fraction, seed)
