"""Walk a DataFrame's physical plan in the driver JVM and describe each operator as a dict.

Going through the plan objects (not the printed plan) keeps the facts exact: operator names,
join types and build sides, the scan's untruncated metadata (pushed filters, read schema), and
expression ids for the columns each operator references. Adaptive plans are walked through
their current plan: the final one once the query has run, the initial one before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

_EXPR_ID = re.compile(r"#(\d+)")
_ATTRIBUTE = re.compile(r"([^\s,(\[{]+)#(\d+)")
_SIMPLE_STRING_FIELDS = 25
_STAGE_WRAPPERS = ("QueryStageExec",)  # ShuffleQueryStageExec, BroadcastQueryStageExec, ...


@dataclass
class PlanNode:
    """One physical operator."""

    node_id: int
    name: str
    class_name: str
    depth: int
    parent_id: Optional[int]
    description: str
    references: set[int] = field(default_factory=set)
    output: list[tuple[str, int]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    children: list[int] = field(default_factory=list)


def _seq(scala_seq: Any) -> list[Any]:
    return [scala_seq.apply(i) for i in range(scala_seq.length())]


def _option(scala_option: Any) -> Any:
    return scala_option.get() if scala_option.isDefined() else None


def split_top_level(text: str) -> list[str]:
    """Split ``"[A(x,1), B(y)]"`` into ``["A(x,1)", "B(y)"]`` at commas outside brackets."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in body:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


class PlanWalker:
    """Flattens a physical plan into ``PlanNode`` records in pre-order (parents first)."""

    def __init__(self, root: Any) -> None:
        """Walk ``root`` (a JVM ``SparkPlan``) right away."""
        self.nodes: list[PlanNode] = []
        self.adaptive: dict[str, Any] = {"adaptive": False, "final_plan": None}
        self._visit(root, 0, None)

    def _children(self, node: Any, class_name: str) -> list[Any]:
        if class_name == "AdaptiveSparkPlanExec":
            self.adaptive = {"adaptive": True, "final_plan": "isFinalPlan=true" in node.simpleString(1)}
            return [node.executedPlan()]
        if class_name.endswith(_STAGE_WRAPPERS):
            return [node.plan()]
        if class_name in ("ReusedExchangeExec", "InMemoryTableScanExec"):
            return []  # the reused/cached subtree was (or will be) walked where it is computed
        return _seq(node.children())

    def _visit(self, node: Any, depth: int, parent_id: Optional[int]) -> None:
        class_name = node.getClass().getSimpleName()
        record = PlanNode(
            node_id=len(self.nodes),
            name=node.nodeName(),
            class_name=class_name,
            depth=depth,
            parent_id=parent_id,
            description=node.simpleString(_SIMPLE_STRING_FIELDS),
            references={int(i) for i in _EXPR_ID.findall(node.references().toString())},
            output=[(n, int(i)) for n, i in _ATTRIBUTE.findall(node.output().toString())],
        )
        record.details = self._details(node, class_name)
        self.nodes.append(record)
        if parent_id is not None:
            self.nodes[parent_id].children.append(record.node_id)
        for child in self._children(node, class_name):
            self._visit(child, depth + 1, record.node_id)

    def _details(self, node: Any, class_name: str) -> dict[str, Any]:
        if class_name == "FileSourceScanExec":
            return self._file_scan(node)
        if class_name.endswith("JoinExec") or class_name == "CartesianProductExec":
            return self._join(node, class_name)
        if class_name == "ShuffleExchangeExec":
            partitioning = node.outputPartitioning()
            return {
                "partitioning": partitioning.toString(),
                "num_partitions": int(partitioning.numPartitions()),
            }
        if "Python" in class_name or "Pandas" in class_name or "Arrow" in class_name:
            return self._python(node)
        return {}

    @staticmethod
    def _file_scan(node: Any) -> dict[str, Any]:
        metadata = node.metadata()
        info = {
            key: _option(metadata.get(key))
            for key in ("Format", "PushedFilters", "PartitionFilters", "Location")
        }
        return {
            "format": info["Format"],
            "location": info["Location"],
            "pushed_filters": split_top_level(info["PushedFilters"] or "[]"),
            "partition_filters": split_top_level(info["PartitionFilters"] or "[]"),
            "columns_read": list(node.requiredSchema().fieldNames()),
            "table_columns": list(node.relation().dataSchema().fieldNames()),
        }

    @staticmethod
    def _join(node: Any, class_name: str) -> dict[str, Any]:
        details: dict[str, Any] = {"join_type": "Cross" if class_name == "CartesianProductExec" else None}
        if class_name != "CartesianProductExec":
            details["join_type"] = node.joinType().toString()
        if class_name not in ("SortMergeJoinExec", "CartesianProductExec"):
            details["build_side"] = node.buildSide().toString()
        if class_name in ("BroadcastNestedLoopJoinExec", "CartesianProductExec"):
            details["has_condition"] = bool(node.condition().isDefined())
        sizes = []
        logical = _option(node.logicalLink())
        if logical is not None:
            sizes = [int(child.stats().sizeInBytes()) for child in _seq(logical.children())]
        details["side_size_bytes"] = sizes
        return details

    @staticmethod
    def _python(node: Any) -> dict[str, Any]:
        for accessor in ("udfs", "udfExpressions", "func"):
            try:
                value = getattr(node, accessor)()
            except Exception:  # py4j raises for a method this operator does not have
                continue
            try:
                items = _seq(value)
            except Exception:  # a single expression, not a Seq
                items = [value]
            return {"udfs": [str(item.name()) for item in items]}
        return {"udfs": []}
