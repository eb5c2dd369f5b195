"""Sample transactions shaped like the demo data (customer_id, event_time, amount, category, ...)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import SparkSession

SCHEMA = (
    "customer_id string, event_time timestamp, amount double, category string, channel string, "
    "label int, weight double"
)
EXAMPLE_SPEC = Path(__file__).resolve().parents[2] / "examples" / "feature_spec.json"


def transactions(seed: int, n_customers: int = 40, shift: float = 0.0) -> pd.DataFrame:
    """Transactions with null amounts and categories, a rare channel, single-transaction customers."""
    rng = np.random.default_rng(seed)
    rows = []
    t0 = dt.datetime(2024, 3, 1)
    for c in range(n_customers):
        n = 1 if c % 13 == 0 else int(rng.integers(2, 25))
        for i in range(n):
            amount = None if rng.random() < 0.08 else float(round(rng.lognormal(3.5 + shift, 0.8), 2))
            category = None if rng.random() < 0.05 else str(rng.choice(["food", "travel", "tech", "home"]))
            channel = str(rng.choice(["web", "app", "store", "phone"], p=[0.5, 0.3, 0.18, 0.02]))
            rows.append(
                (
                    f"c{c:03d}",
                    t0 + dt.timedelta(hours=int(i * 5 + c)),
                    amount,
                    category,
                    channel,
                    int(rng.random() < 0.2),
                    float(rng.choice([0.5, 1.0, 2.0])),
                )
            )
    return pd.DataFrame(
        rows, columns=["customer_id", "event_time", "amount", "category", "channel", "label", "weight"]
    )


def write_parquet(spark: SparkSession, pdf: pd.DataFrame, path: Path) -> str:
    """Write ``pdf`` with the sample schema as Parquet; returns the path."""
    records = [
        tuple(None if (isinstance(v, float) and np.isnan(v)) else v for v in r)
        for r in pdf.itertuples(index=False)
    ]
    records = [
        (r[0], r[1].to_pydatetime() if hasattr(r[1], "to_pydatetime") else r[1], *r[2:]) for r in records
    ]
    spark.createDataFrame(records, SCHEMA).coalesce(1).write.mode("overwrite").parquet(str(path))
    return str(path)


@pytest.fixture(scope="module")
def sample(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    """The sample transactions as a Parquet dataset and as pandas."""
    pdf = transactions(1)
    return write_parquet(spark, pdf, tmp_path_factory.mktemp("sample") / "transactions"), pdf


def current_dir(output: Path) -> Path:
    """The directory of the version the pointer names (read as plain JSON, not through our reader)."""
    pointer = json.loads((output / "_latest.json").read_text())
    return output / "_versions" / pointer["version"]
