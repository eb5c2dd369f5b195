"""Profile Spark operations, find their bottlenecks, suggest fixes, and report."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Optional, TypeVar, Union

from pyspark.sql import DataFrame, SparkSession

from spark_jobs.metrics.bottlenecks import BottleneckThresholds, analyze_bottlenecks
from spark_jobs.metrics.execution_metrics import SparkExecutionMetrics
from spark_jobs.metrics.export import write_text
from spark_jobs.metrics.report import render_html, render_text
from spark_jobs.metrics.sql_files import sql_file_counts, sql_status_store
from spark_jobs.metrics.suggestions import suggest_for

T = TypeVar("T")
_COMPARED = (
    "wall_clock_ms",
    "executor_run_time_ms",
    "executor_cpu_time_ms",
    "num_tasks",
    "shuffle_write_bytes",
    "disk_bytes_spilled",
)


class OperationProfile(tuple):  # type: ignore[type-arg]
    """What ``profile_operation`` returns: the pair ``(result, profile)``, also readable as the profile.

    Today's form unpacks as before (``result, profile = profiler.profile_operation(...)``); the
    original system's form reads it as the profile dict, with the operation's result under
    ``"result"`` (``p = profiler.profile_operation(...); p["result"], p["wall_clock_ms"]``).
    """

    def __new__(cls, result: Any, profile: dict[str, Any]) -> OperationProfile:
        return super().__new__(cls, (result, profile))

    @property
    def result(self) -> Any:
        """The value the profiled function returned."""
        return self[0]

    @property
    def profile(self) -> dict[str, Any]:
        """The profile dict."""
        profile: dict[str, Any] = tuple.__getitem__(self, 1)
        return profile

    def __getitem__(self, key: Any) -> Any:
        """Integers and slices index the pair; a string reads the profile (``"result"``: the result)."""
        if isinstance(key, str):
            return self.result if key == "result" else self.profile[key]
        return tuple.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        """A string asks for a profile key (or ``"result"``); anything else asks the pair."""
        if isinstance(key, str):
            return key == "result" or key in self.profile
        return tuple.__contains__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """``dict.get`` over the profile and ``"result"``."""
        return self[key] if key == "result" or key in self.profile else default

    def keys(self) -> list[str]:
        """The profile's keys and ``"result"``."""
        return [*self.profile.keys(), "result"]


class PerformanceProfiler:
    """Profiles operations with Spark's own metrics and explains what slowed them down.

    A profile is the tracked metrics of ``SparkExecutionMetrics`` plus ``total_cores`` (task
    slots while it ran), ``files`` (files read and written, from the SQL metrics), ``findings``
    and ``suggestions``.

    Args:
        spark: the active session.
        thresholds: trigger levels for ``analyze_bottlenecks`` (Dataflint's by default).
    """

    def __init__(self, spark: SparkSession, thresholds: Optional[BottleneckThresholds] = None) -> None:
        """Create a profiler with no profiles yet."""
        self.spark = spark
        self.thresholds = thresholds or BottleneckThresholds()
        self.metrics = SparkExecutionMetrics(spark)
        self._sql_store = sql_status_store(spark)
        self.profiles: list[dict[str, Any]] = []

    def profile_operation(
        self, name: str, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> OperationProfile:
        """Run ``fn(*args, **kwargs)``; return ``(result, profile)`` as an :class:`OperationProfile`.

        It unpacks as the pair and also reads as the profile, ``["result"]`` being the result.
        """
        if not callable(fn):
            raise TypeError(f"profile_operation: fn must be callable, got {type(fn).__name__}")
        with self.profile(name) as profile:
            result = fn(*args, **kwargs)
        return OperationProfile(result, profile)

    @contextmanager
    def profile(self, name: str) -> Iterator[dict[str, Any]]:
        """Context manager form: ``with profiler.profile("load") as p: ...``; ``p`` is filled on exit."""
        profile: dict[str, Any] = {}
        tracked: dict[str, Any] = {}
        sql_before = int(self._sql_store.executionsCount())
        try:
            with self.metrics.tracking(name) as tracked:
                yield profile
        finally:
            if tracked:
                profile.update(self._complete(tracked, sql_before))
                self.profiles.append(profile)

    def compare_operations(
        self,
        operations: Union[Mapping[str, Callable[[], Any]], Sequence[dict[str, Any]]],
        repeat: int = 1,
    ) -> list[dict[str, Any]]:
        """Compare operations (name -> zero-argument callable) or existing profiles.

        Callables are profiled ``repeat`` times each and the fastest run (by wall clock) is
        kept. Each row has the key numbers and their ratio to the first operation.
        """
        if repeat < 1:
            raise ValueError(f"compare_operations: repeat must be >= 1, got {repeat!r}")
        if isinstance(operations, Mapping):
            profiles = []
            for name, fn in operations.items():
                runs = [self.profile_operation(name, fn)[1] for _ in range(repeat)]
                profiles.append(min(runs, key=lambda p: p["wall_clock_ms"]))
        else:
            profiles = list(operations)
        if not profiles:
            raise ValueError("compare_operations: give at least one operation or profile")
        rows = []
        baseline = self._key_numbers(profiles[0])
        for profile in profiles:
            numbers = self._key_numbers(profile)
            ratios = {f"{k}_vs_first": (numbers[k] / baseline[k] if baseline[k] else None) for k in _COMPARED}
            codes = sorted({f["code"] for f in profile.get("findings", [])})
            rows.append({"name": profile["name"], **numbers, **ratios, "finding_codes": codes})
        return rows

    def compare_plans(
        self, plans: Mapping[str, Union[DataFrame, Callable[[], Any]]], repeat: int = 1
    ) -> list[dict[str, Any]]:
        """:meth:`compare_operations` over DataFrames (the original system's name).

        A DataFrame is run to the end of its plan and its rows discarded (Spark's ``noop`` sink), so
        every plan does all its work and nothing is collected to the driver; callables run as given.
        """
        operations: dict[str, Callable[[], Any]] = {}
        for name, plan in plans.items():
            operations[name] = _run_to_end(plan) if isinstance(plan, DataFrame) else plan
        return self.compare_operations(operations, repeat=repeat)

    def identify_bottlenecks(self, profile: Optional[Mapping[str, Any]] = None) -> list[dict[str, Any]]:
        """:meth:`analyze_bottlenecks` of ``profile`` (or an :class:`OperationProfile`; default: the last)."""
        if profile is None:
            if not self.profiles:
                raise ValueError("identify_bottlenecks: nothing has been profiled yet")
            profile = self.profiles[-1]
        if isinstance(profile, OperationProfile):
            profile = profile.profile
        return self.analyze_bottlenecks(dict(profile))

    def analyze_bottlenecks(self, profile: dict[str, Any]) -> list[dict[str, Any]]:
        """Findings (SKEWED_STAGE, SPILL, ...) for ``profile`` under this profiler's thresholds."""
        return analyze_bottlenecks(profile, self.thresholds)

    def suggest_optimizations(
        self, profile_or_findings: Union[dict[str, Any], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """Configuration keys and utilities that address each finding of a profile (or a findings list)."""
        if isinstance(profile_or_findings, dict):
            findings = self.analyze_bottlenecks(profile_or_findings)
        else:
            findings = profile_or_findings
        return suggest_for(findings)

    def generate_report(
        self,
        profiles: Optional[Sequence[dict[str, Any]]] = None,
        fmt: str = "text",
        path: Optional[str] = None,
    ) -> str:
        """Text or self-contained HTML report of ``profiles`` (default: every profile so far).

        With ``path`` the report is also written there (local path or Hadoop URI).
        """
        chosen = list(self.profiles if profiles is None else profiles)
        if fmt not in ("text", "html"):
            raise ValueError(f"generate_report: fmt={fmt!r} is not allowed; allowed: text, html")
        report = render_html(chosen) if fmt == "html" else render_text(chosen)
        if path is not None:
            write_text(self.spark.sparkContext, path, report)
        return report

    def _complete(self, tracked: dict[str, Any], sql_before: int) -> dict[str, Any]:
        profile = dict(tracked)
        executors = [e for e in self.metrics.get_executor_metrics(wait=False) if e["is_active"]]
        workers = [e for e in executors if e["executor_id"] != "driver"] or executors
        profile["total_cores"] = sum(e["total_cores"] or 0 for e in workers)
        job_ids = {j["job_id"] for j in tracked["jobs"]}
        profile["files"] = (
            sql_file_counts(self._sql_store, self.metrics.reader, job_ids, sql_before) if job_ids else {}
        )
        profile["findings"] = analyze_bottlenecks(profile, self.thresholds)
        profile["suggestions"] = suggest_for(profile["findings"])
        return profile

    @staticmethod
    def _key_numbers(profile: dict[str, Any]) -> dict[str, float]:
        totals = profile["totals"]
        return {k: float(profile["wall_clock_ms"] if k == "wall_clock_ms" else totals[k]) for k in _COMPARED}


def _run_to_end(df: DataFrame) -> Callable[[], None]:
    """Run ``df``'s whole plan and discard the rows (Spark's ``noop`` sink)."""

    def run() -> None:
        df.write.format("noop").mode("overwrite").save()

    return run
