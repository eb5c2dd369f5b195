"""Partition sizing, key-skew detection and salting (including a two-phase salted aggregation)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.optimization.plan_stats import estimated_size_bytes

MIB = 1024 * 1024
DEFAULT_TARGET_BYTES = 128 * MIB  # the AWS EMR guide's ~128 MB per partition
# Aggregations that can be split into a per-(key, salt) phase and a per-key phase.
_TWO_PHASE = {"sum": ("sum", "sum"), "count": ("count", "sum"), "min": ("min", "min"), "max": ("max", "max")}
SALTED_AGGREGATIONS = (*_TWO_PHASE, "avg", "mean")


def advisory_partition_bytes(spark: SparkSession) -> int:
    """The session's ``spark.sql.adaptive.advisoryPartitionSizeInBytes``, parsed as Spark parses it."""
    text = spark.conf.get("spark.sql.adaptive.advisoryPartitionSizeInBytes", "64m") or "64m"
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "the session has no JVM gateway"
    return int(jvm.org.apache.spark.network.util.JavaUtils.byteStringAsBytes(text))


def _require_columns(df: DataFrame, columns: Sequence[str], field: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{field}: column(s) {missing} not in the DataFrame; available: {df.columns}")


class PartitionOptimizer:
    """Sizes partitions from Spark's plan statistics and fixes key skew by salting."""

    def __init__(self, spark: SparkSession) -> None:
        """Bind to ``spark``."""
        self.spark = spark

    def plan_partitions(self, df: DataFrame, target_bytes: int = DEFAULT_TARGET_BYTES) -> dict[str, Any]:
        """How many partitions of about ``target_bytes`` the plan's size estimate needs."""
        if target_bytes <= 0:
            raise ValueError(f"target_bytes must be > 0, got {target_bytes!r}")
        estimated = estimated_size_bytes(df)
        current = df.rdd.getNumPartitions()
        # Cap at Spark's max partition count; an unknown size is reported as a huge number.
        target = max(1, min(math.ceil(estimated / target_bytes), 2**31 - 1))
        action = "keep" if target == current else ("coalesce" if target < current else "repartition")
        return {
            "estimated_bytes": estimated,
            "target_bytes": target_bytes,
            "current_partitions": current,
            "target_partitions": target,
            "action": action,
        }

    def optimize_partitions(self, df: DataFrame, target_bytes: int = DEFAULT_TARGET_BYTES) -> DataFrame:
        """Coalesce (no shuffle) or repartition ``df`` to partitions of about ``target_bytes``."""
        plan = self.plan_partitions(df, target_bytes)
        if plan["action"] == "coalesce":
            return df.coalesce(plan["target_partitions"])
        if plan["action"] == "repartition":
            return df.repartition(plan["target_partitions"])
        return df

    def optimize_for_join(
        self,
        left: DataFrame,
        right: DataFrame,
        on: Union[str, Sequence[str]],
        target_bytes: int = DEFAULT_TARGET_BYTES,
    ) -> tuple[DataFrame, DataFrame]:
        """Both sides hash-partitioned by the join keys into the same number of partitions.

        The number is what the larger side needs at ``target_bytes`` per partition
        (:meth:`plan_partitions`). Joined on ``on``, Spark then reuses this partitioning: one shuffle
        per side, none added by the join (a sort-merge join needs both sides co-partitioned).
        """
        keys = [on] if isinstance(on, str) else list(on)
        if not keys:
            raise ValueError("optimize_for_join: on must name at least one join column")
        _require_columns(left, keys, "optimize_for_join left")
        _require_columns(right, keys, "optimize_for_join right")
        n = max(
            self.plan_partitions(left, target_bytes)["target_partitions"],
            self.plan_partitions(right, target_bytes)["target_partitions"],
        )
        return left.repartition(n, *keys), right.repartition(n, *keys)

    def coalesce_if_needed(self, df: DataFrame, target_bytes: int = DEFAULT_TARGET_BYTES) -> DataFrame:
        """Coalesce only when there are more partitions than the data needs (never shuffles)."""
        plan = self.plan_partitions(df, target_bytes)
        return df.coalesce(plan["target_partitions"]) if plan["action"] == "coalesce" else df

    def persist_sized(
        self, df: DataFrame, level: StorageLevel = StorageLevel.MEMORY_AND_DISK
    ) -> tuple[DataFrame, DataFrame]:
        """Persist and materialize ``df``; return it and its rows in partitions of the AQE advisory size.

        AQE leaves the last shuffle of a cached plan as it is (Spark 3.5 always, 4.0 unless
        ``spark.sql.optimizer.canChangeCachedPlanOutputPartitioning``), so persisted shuffle output
        keeps ``spark.sql.shuffle.partitions`` partitions and every later stage over it runs that many
        tasks, most of them empty on small data. Once materialized, the cached relation's statistics
        are its real size, so coalescing to them (no shuffle) gives the partitions AQE would have
        chosen. Unpersist the first DataFrame returned when done.
        """
        persisted = df.persist(level)
        persisted.count()
        return persisted, self.coalesce_if_needed(persisted, advisory_partition_bytes(self.spark))

    def detect_skew(
        self, df: DataFrame, key_col: str, threshold: float = 5.0, top_n: int = 5
    ) -> dict[str, Any]:
        """Row counts per key: skewed when the largest key has ``threshold`` x the median key's rows.

        The factor mirrors AQE's ``skewedPartitionFactor`` (5 by default), applied to keys rather
        than partitions. NULL is counted as a key. Runs one aggregation over ``df``.
        """
        _require_columns(df, [key_col], "detect_skew key_col")
        if threshold <= 1:
            raise ValueError(f"detect_skew: threshold must be > 1, got {threshold!r}")
        if top_n < 1:
            raise ValueError(f"detect_skew: top_n must be >= 1, got {top_n!r}")
        counts = df.groupBy(F.col(key_col).alias("key")).agg(F.count(F.lit(1)).alias("rows"))
        stats = counts.agg(
            F.count(F.lit(1)).alias("keys"),
            F.sum("rows").alias("total"),
            F.max("rows").alias("max_rows"),
            F.expr("percentile(rows, 0.5)").alias("median_rows"),
        ).first()
        if stats is None or not stats["keys"]:
            return {
                "key_column": key_col,
                "is_skewed": False,
                "skew_ratio": 0.0,
                "num_keys": 0,
                "top_keys": [],
            }
        total = int(stats["total"])
        top = counts.orderBy(F.col("rows").desc()).limit(top_n).collect()
        ratio = float(stats["max_rows"]) / float(stats["median_rows"])
        return {
            "key_column": key_col,
            "is_skewed": ratio >= threshold,
            "skew_ratio": ratio,
            "threshold": threshold,
            "num_keys": int(stats["keys"]),
            "total_rows": total,
            "max_key_rows": int(stats["max_rows"]),
            "median_key_rows": float(stats["median_rows"]),
            "max_key_share": int(stats["max_rows"]) / total,
            "top_keys": [
                {"key": r["key"], "rows": int(r["rows"]), "share": int(r["rows"]) / total} for r in top
            ],
        }

    def add_salting(
        self, df: DataFrame, key_col: str, num_salts: int, seed: Optional[int] = None
    ) -> tuple[DataFrame, str]:
        """Add ``<key>_salt`` (random in [0, num_salts)) and ``<key>_salted``; return (df, salted column).

        Use the salted column as the join key against ``explode_salts`` on the other side, or
        group by (key, salt) first as ``salted_aggregate`` does.
        """
        _require_columns(df, [key_col], "add_salting key_col")
        self._check_salts(num_salts)
        salt_col, salted_col = f"{key_col}_salt", f"{key_col}_salted"
        salted = df.withColumn(salt_col, F.floor(F.rand(seed) * num_salts).cast("int"))
        return salted.withColumn(salted_col, self._salted_key(key_col, salt_col)), salted_col

    def explode_salts(self, df: DataFrame, key_col: str, num_salts: int) -> tuple[DataFrame, str]:
        """Replicate each row of the (small) join side once per salt; return (df, salted column)."""
        _require_columns(df, [key_col], "explode_salts key_col")
        self._check_salts(num_salts)
        salt_col, salted_col = f"{key_col}_salt", f"{key_col}_salted"
        exploded = df.withColumn(salt_col, F.explode(F.sequence(F.lit(0), F.lit(num_salts - 1))))
        return exploded.withColumn(salted_col, self._salted_key(key_col, salt_col)), salted_col

    def remove_salting(self, df: DataFrame, key_col: str) -> DataFrame:
        """Drop the helper columns that ``add_salting``/``explode_salts`` added for ``key_col``."""
        return df.drop(f"{key_col}_salt", f"{key_col}_salted")

    def salted_join(
        self, large: DataFrame, small: DataFrame, key_col: str, num_salts: int, how: str = "inner"
    ) -> DataFrame:
        """Join on ``key_col`` with the large side salted and the small side replicated per salt."""
        allowed = ("inner", "left", "left_outer", "left_semi", "left_anti")
        if how not in allowed:
            raise ValueError(
                f"salted_join: how={how!r} cannot be salted on the left side; allowed: {allowed}"
            )
        salted_large, salted_col = self.add_salting(large, key_col, num_salts)
        exploded_small, _ = self.explode_salts(small, key_col, num_salts)
        exploded_small = exploded_small.drop(key_col, f"{key_col}_salt")
        joined = salted_large.join(exploded_small, salted_col, how)
        return self.remove_salting(joined, key_col)

    def salted_aggregate(
        self,
        df: DataFrame,
        group_cols: Union[str, Sequence[str]],
        aggregations: Mapping[str, tuple[str, str]],
        num_salts: int,
        seed: Optional[int] = None,
    ) -> DataFrame:
        """Two-phase aggregation: per (keys, salt), then per keys. Equals the unsalted result.

        ``aggregations`` maps an output name to ``(function, column)`` with function one of
        sum, count, min, max, avg/mean (``count`` accepts ``"*"``). Averages are rebuilt from
        the partial sums and counts, so they can differ from Spark's in the last float bits.
        """
        keys = [group_cols] if isinstance(group_cols, str) else list(group_cols)
        _require_columns(df, keys, "salted_aggregate group_cols")
        self._check_salts(num_salts)
        if not aggregations:
            raise ValueError("salted_aggregate: aggregations must name at least one output column")
        salt = "__salt"
        salted = df.withColumn(salt, F.floor(F.rand(seed) * num_salts).cast("int"))
        partial: list[Column] = []
        final: list[Column] = []
        for output, (function, column) in aggregations.items():
            function = function.lower()
            if function not in SALTED_AGGREGATIONS:
                raise ValueError(
                    f"salted_aggregate: aggregation {output!r} uses function={function!r}; "
                    f"allowed: {', '.join(SALTED_AGGREGATIONS)} (distinct counts cannot be split into phases)"
                )
            if column != "*":
                _require_columns(df, [column], f"salted_aggregate aggregation {output!r}")
            source = F.lit(1) if column == "*" else F.col(column)
            if function in ("avg", "mean"):
                partial += [F.sum(source).alias(f"__{output}_sum"), F.count(source).alias(f"__{output}_n")]
                total, count = F.sum(f"__{output}_sum"), F.sum(f"__{output}_n")
                final.append(F.when(count > 0, total / count).alias(output))
            else:
                first, second = _TWO_PHASE[function]
                partial.append(getattr(F, first)(source).alias(f"__{output}"))
                combined = getattr(F, second)(f"__{output}")
                if function == "count":  # a count is never NULL; keep Spark's non-nullable type
                    combined = F.coalesce(combined, F.lit(0).cast("long"))
                final.append(combined.alias(output))
        phase_one = salted.groupBy(*keys, salt).agg(*partial)
        return phase_one.groupBy(*keys).agg(*final)

    @staticmethod
    def _salted_key(key_col: str, salt_col: str) -> Column:
        # NULL keys stay NULL: they never match in a join, salted or not.
        return F.when(
            F.col(key_col).isNotNull(), F.concat_ws("#", F.col(key_col).cast("string"), F.col(salt_col))
        )

    @staticmethod
    def _check_salts(num_salts: int) -> None:
        if not isinstance(num_salts, int) or num_salts < 2:
            raise ValueError(f"num_salts must be an integer >= 2, got {num_salts!r}")
