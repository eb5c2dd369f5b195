"""Read a DataFrame's physical plan, flag common problems with stable codes, and apply fixes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Optional, Union

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.optimization.plan_stats import estimated_size_bytes
from spark_jobs.optimization.plan_walker import PlanNode, PlanWalker

MIB = 1024 * 1024
JOIN_STRATEGIES = {
    "BroadcastHashJoinExec": "broadcast_hash",
    "SortMergeJoinExec": "sort_merge",
    "ShuffledHashJoinExec": "shuffled_hash",
    "BroadcastNestedLoopJoinExec": "broadcast_nested_loop",
    "CartesianProductExec": "cartesian",
}
# Operators that pass rows through unchanged on the way from a Filter down to its scan.
_PASS_THROUGH = ("ProjectExec", "ColumnarToRowExec", "WholeStageCodegenExec", "InputAdapter")
_FILTER_OPS = {"=": "__eq__", "!=": "__ne__", "<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__"}
FilterSpec = Union[Column, str, tuple[Any, ...]]


class QueryOptimizer:
    """Plan analysis (``analyze_plan``) and the helpers that act on its suggestions.

    Args:
        spark: the active session.
        broadcast_candidate_bytes: a shuffled join whose smaller side Spark estimates at or below
            this size is flagged ``BROADCAST_CANDIDATE`` and broadcast by ``optimize_join``.
    """

    def __init__(self, spark: SparkSession, broadcast_candidate_bytes: int = 100 * MIB) -> None:
        """Bind to ``spark``."""
        if broadcast_candidate_bytes <= 0:
            raise ValueError(f"broadcast_candidate_bytes must be > 0, got {broadcast_candidate_bytes!r}")
        self.spark = spark
        self.broadcast_candidate_bytes = broadcast_candidate_bytes

    def analyze_plan(self, df: DataFrame, execute: bool = False) -> dict[str, Any]:
        """Describe ``df``'s physical plan: joins, exchanges, scans, Python UDFs and suggestions.

        With adaptive execution the final plan exists only after the query ran. Pass
        ``execute=True`` to run it first (its rows stay on the executors; only a count comes
        back), or analyze a DataFrame you already collected. ``adaptive.final_plan`` says which
        plan was read.
        """
        query_execution = df._jdf.queryExecution()
        if execute:
            query_execution.executedPlan().execute().count()
        walker = PlanWalker(query_execution.executedPlan())
        nodes = walker.nodes
        scans = [self._scan(n) for n in nodes if n.class_name == "FileSourceScanExec"]
        analysis: dict[str, Any] = {
            "adaptive": walker.adaptive,
            "joins": [self._join(n) for n in nodes if n.class_name in JOIN_STRATEGIES],
            "exchanges": [self._exchange(n) for n in nodes if n.class_name.endswith("ExchangeExec")],
            "aqe_shuffle_reads": [n.description for n in nodes if n.class_name == "AQEShuffleReadExec"],
            "scans": scans,
            "pushed_filters": [f for s in scans for f in s["pushed_filters"]],
            "columns_read": list(dict.fromkeys(c for s in scans for c in s["columns_read"])),
            "python_udfs": [self._python(n) for n in nodes if "udfs" in n.details],
            "unused_columns": self._unused_columns(nodes),
            "plan": [f"{'  ' * n.depth}{n.description}" for n in nodes],
        }
        analysis["suggestions"] = self._suggestions(nodes, analysis)
        return analysis

    def optimize_join(
        self, left: DataFrame, right: DataFrame, on: Union[str, Sequence[str], Column], how: str = "inner"
    ) -> DataFrame:
        """Join with a broadcast hint on a side estimated at or below ``broadcast_candidate_bytes``.

        Only a side that a broadcast hash join can build is hinted (the right side of a left
        join, the left side of a right join, either side of an inner join).
        """
        sizes = {"left": estimated_size_bytes(left), "right": estimated_size_bytes(right)}
        buildable = {
            "inner": ("left", "right"),
            "cross": ("left", "right"),
            "right": ("left",),
            "right_outer": ("left",),
        }
        # DataFrame.join takes a name, a list of names or a Column.
        on = list(on) if not isinstance(on, (str, Column)) else on
        candidates = [s for s in buildable.get(how, ("right",)) if sizes[s] <= self.broadcast_candidate_bytes]
        if candidates:
            side = min(candidates, key=lambda s: sizes[s])
            if side == "left":
                return F.broadcast(left).join(right, on, how)
            return left.join(F.broadcast(right), on, how)
        return left.join(right, on, how)

    def prune_columns(self, df: DataFrame, columns: Sequence[str]) -> DataFrame:
        """Keep only ``columns`` (in that order), failing clearly on names ``df`` does not have."""
        missing = [c for c in columns if c not in df.columns]
        if not columns or missing:
            raise ValueError(
                f"prune_columns: columns {list(columns)!r} must be non-empty and in {df.columns}"
            )
        return df.select(*columns)

    def push_filters(self, df: DataFrame, filters: Sequence[FilterSpec]) -> DataFrame:
        """Apply filters written as plain column comparisons, which file sources can push down.

        Each filter is a Column, a SQL string, or a tuple ``(column, op, value)`` with op in
        ``= != < <= > >= in is_null not_null``. Tuples become comparisons on the bare column,
        the form Parquet/ORC readers receive as pushed filters (a UDF or a function around the
        column would not be pushed).
        """
        result = df
        for spec in filters:
            result = result.filter(self._condition(df, spec))
        return result

    @staticmethod
    def _condition(df: DataFrame, spec: FilterSpec) -> Union[Column, str]:
        if isinstance(spec, (Column, str)):
            return spec
        if not isinstance(spec, tuple) or len(spec) not in (2, 3):
            raise ValueError(
                f"push_filters: filter {spec!r} must be a Column, a SQL string or (column, op[, value])"
            )
        column, op = spec[0], spec[1]
        if column not in df.columns:
            raise ValueError(f"push_filters: column {column!r} not in the DataFrame; available: {df.columns}")
        target = F.col(column)
        if op == "is_null":
            return target.isNull()
        if op == "not_null":
            return target.isNotNull()
        if len(spec) != 3:
            raise ValueError(f"push_filters: op {op!r} in {spec!r} needs a value")
        if op == "in":
            return target.isin(list(spec[2]))
        if op not in _FILTER_OPS:
            allowed = [*_FILTER_OPS, "in", "is_null", "not_null"]
            raise ValueError(f"push_filters: op {op!r} in {spec!r} is not allowed; allowed: {allowed}")
        compared: Column = getattr(target, _FILTER_OPS[op])(F.lit(spec[2]))
        return compared

    @staticmethod
    def _scan(node: PlanNode) -> dict[str, Any]:
        return {"node": node.name.strip(), **node.details}

    @staticmethod
    def _join(node: PlanNode) -> dict[str, Any]:
        return {
            "strategy": JOIN_STRATEGIES[node.class_name],
            "node": node.name,
            "skew_join": "skew=true" in node.description or "isSkewJoin=true" in node.description,
            **node.details,
        }

    @staticmethod
    def _exchange(node: PlanNode) -> dict[str, Any]:
        kind = "broadcast" if node.class_name.startswith("Broadcast") else "shuffle"
        if node.class_name == "ReusedExchangeExec":
            kind = "reused"
        return {"type": kind, "node": node.name, **node.details}

    @staticmethod
    def _python(node: PlanNode) -> dict[str, Any]:
        vectorized = node.class_name != "BatchEvalPythonExec"
        return {"node": node.name, "udfs": node.details["udfs"], "vectorized": vectorized}

    @staticmethod
    def _unused_columns(nodes: list[PlanNode]) -> list[dict[str, Any]]:
        """Columns a leaf produces that no operator above it references nor the query returns."""
        used = set().union(*(n.references for n in nodes)) | {expr_id for _, expr_id in nodes[0].output}
        found = []
        for leaf in (n for n in nodes if not n.children and n.output and n.parent_id is not None):
            unused = [name for name, expr_id in leaf.output if expr_id not in used]
            if unused:
                found.append(
                    {"node": leaf.name.strip(), "unused": unused, "read": [name for name, _ in leaf.output]}
                )
        return found

    def _suggestions(self, nodes: list[PlanNode], analysis: dict[str, Any]) -> list[dict[str, Any]]:
        suggestions = []
        for join in analysis["joins"]:
            sizes = join.get("side_size_bytes") or []
            if join["strategy"] in ("sort_merge", "shuffled_hash") and sizes:
                smaller = min(sizes)
                if smaller <= self.broadcast_candidate_bytes:
                    suggestions.append(
                        _suggestion(
                            "BROADCAST_CANDIDATE",
                            f"{join['node']} shuffles both sides, but one side is estimated at "
                            f"{smaller} bytes (<= {self.broadcast_candidate_bytes}): broadcast it "
                            "(QueryOptimizer.optimize_join or raise spark.sql.autoBroadcastJoinThreshold).",
                            smaller_side_bytes=smaller,
                        )
                    )
            if join["strategy"] == "cartesian" or (
                join["strategy"] == "broadcast_nested_loop" and not join.get("has_condition", True)
            ):
                suggestions.append(
                    _suggestion(
                        "CARTESIAN_PRODUCT",
                        f"{join['node']} pairs every row with every row; add an equi-join condition.",
                    )
                )
        for filter_node, scan in self._unpushed_filters(nodes):
            suggestions.append(
                _suggestion(
                    "NO_FILTER_PUSHDOWN",
                    f"{filter_node.description} runs after {scan.name.strip()} without pushing a filter into "
                    "the reader; compare bare columns with literals (QueryOptimizer.push_filters).",
                    pushed_filters=scan.details["pushed_filters"],
                )
            )
        for unused in analysis["unused_columns"]:
            suggestions.append(
                _suggestion(
                    "UNUSED_COLUMNS_READ",
                    f"{unused['node']} produces {unused['unused']} that nothing uses; select only the needed "
                    "columns before this point (QueryOptimizer.prune_columns).",
                    unused_columns=unused["unused"],
                )
            )
        for python in analysis["python_udfs"]:
            kind = "a vectorized (Arrow)" if python["vectorized"] else "a row-at-a-time"
            suggestions.append(
                _suggestion(
                    "PYTHON_UDF",
                    f"{python['node']} runs {kind} Python UDF {python['udfs']}: rows leave the JVM; use "
                    "built-in functions, or a pandas_udf / spark.sql.execution.pythonUDF.arrow.enabled=true.",
                    udfs=python["udfs"],
                )
            )
        return suggestions

    @staticmethod
    def _unpushed_filters(nodes: list[PlanNode]) -> list[tuple[PlanNode, PlanNode]]:
        pairs = []
        for node in nodes:
            if node.class_name != "FilterExec":
                continue
            current: Optional[PlanNode] = node
            while current is not None and len(current.children) == 1:
                current = nodes[current.children[0]]
                if current.class_name not in _PASS_THROUGH:
                    break
            if current is None or current.class_name != "FileSourceScanExec":
                continue
            # Spark adds isnotnull() guards itself (and pushes them); only user predicates count.
            condition = node.description[len("Filter ") :]
            predicates = [
                p for p in re.split(r"\s+AND\s+", condition.strip("()")) if not p.startswith("isnotnull(")
            ]
            pushed = [f for f in current.details["pushed_filters"] if not f.startswith("IsNotNull(")]
            if predicates and not pushed:
                pairs.append((node, current))
        return pairs


def _suggestion(code: str, message: str, **numbers: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **numbers}
