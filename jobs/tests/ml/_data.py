"""Generated events for the training-data tests, as pandas and as a Spark DataFrame.

Per user: several events a day, gaps longer than the longest window, exact ties of event time,
null (and NaN) values and categories, single-event users, users whose events span the whole period
(they straddle any split by time, so a per-row split would cut them), and a shuffled row order
(late-arriving rows: arrival order is not time order).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession

SCHEMA = "row_id long, user_id string, event_time timestamp, amount double, category string, label int"
CATEGORIES = ("food", "travel", "tech", "home")
T0 = dt.datetime(2026, 1, 1)


def events(seed: int = 3, n_users: int = 36) -> pd.DataFrame:
    """The events (``row_id`` identifies a row across pandas and Spark); missing amounts are NaN here."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[object, ...]] = []
    for u in range(n_users):
        user = f"u{u:03d}"
        if u % 9 == 0:  # single-event users
            times = [T0 + dt.timedelta(days=int(rng.integers(0, 90)), hours=int(rng.integers(0, 24)))]
        else:
            times = []
            day = int(rng.integers(0, 10))
            while day < 120 and len(times) < 30:
                for _ in range(int(rng.integers(1, 4))):  # several events a day
                    times.append(T0 + dt.timedelta(days=day, minutes=int(rng.integers(0, 24 * 60))))
                if rng.random() < 0.25:
                    times.append(times[-1])  # an exact tie
                day += int(rng.choice([0, 1, 2, 3, 45]))  # 45: a gap longer than 30 days
        for t in times:
            amount = None if rng.random() < 0.1 else float(round(rng.lognormal(3, 1), 2))
            category = None if rng.random() < 0.07 else str(rng.choice(CATEGORIES))
            rows.append((user, t, amount, category, int(rng.random() < 0.3)))
    order = rng.permutation(len(rows))  # rows arrive out of time order
    shuffled = [rows[i] for i in order]
    pdf = pd.DataFrame(shuffled, columns=["user_id", "event_time", "amount", "category", "label"])
    pdf.insert(0, "row_id", np.arange(len(pdf), dtype=np.int64))
    return pdf


def tie_user() -> pd.DataFrame:
    """One user with a favourite-category tie (2 x tech first, then 2 x food) and tied timestamps."""
    t = [T0 + dt.timedelta(hours=h) for h in (5, 5, 6, 9, 9, 9)]
    cats = ["tech", "tech", "food", "food", "home", None]
    return pd.DataFrame(
        {
            "row_id": np.arange(10_000, 10_006, dtype=np.int64),
            "user_id": "tie",
            "event_time": t,
            "amount": [1.0, 2.0, 3.0, 4.0, None, 6.0],
            "category": cats,
            "label": [0, 1, 0, 1, 0, 1],
        }
    )


def to_spark(spark: SparkSession, pdf: pd.DataFrame) -> DataFrame:
    """``pdf`` as a Spark DataFrame with :data:`SCHEMA`; missing amounts become NaN or null by row id."""
    records = []
    for r in pdf.itertuples(index=False):
        amount = None if pd.isna(r.amount) else float(r.amount)
        if amount is None and r.row_id % 2 == 0:
            amount = float("nan")  # half the missing amounts are NaN, half null: both count as missing
        category = None if pd.isna(r.category) else str(r.category)
        time = pd.Timestamp(r.event_time).to_pydatetime()
        records.append((int(r.row_id), r.user_id, time, amount, category, int(r.label)))
    return spark.createDataFrame(records, SCHEMA)
