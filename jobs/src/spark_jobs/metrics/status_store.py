"""Read Spark's own job, stage, task and executor numbers from the driver's status store.

The status store (``AppStatusStore``) is what the Spark UI and the REST API at ``/api/v1`` read.
It lives in the driver JVM and is filled by a listener whether or not the UI is enabled, so
reading it needs no network access and works in local mode and on a cluster driver alike.
Objects are serialized with Jackson and the Scala module, the same way the REST API renders
them, so the field names here are the REST API's field names (``shuffleWriteBytes``, ...).
"""

from __future__ import annotations

import json
from typing import Any

from pyspark import SparkContext

from spark_jobs.jvm import gateway_of, jvm_of

# Task metric quantiles we ask Spark for: min, median, max.
TASK_QUANTILES: tuple[float, ...] = (0.0, 0.5, 1.0)


class StatusStoreReader:
    """Thin, read-only view of the driver's ``AppStatusStore`` through py4j."""

    def __init__(self, sc: SparkContext) -> None:
        """Bind to the status store and listener bus of ``sc``'s driver JVM."""
        self._sc = sc
        self._jvm = jvm_of(sc)
        self._jsc = sc._jsc.sc()
        self._store = self._jsc.statusStore()
        self._tracker = self._jsc.statusTracker()
        self._mapper = self._build_mapper()
        # Arguments reused by every call (each py4j round trip costs, so build them once).
        gateway = gateway_of(sc)
        self._no_quantiles = gateway.new_array(self._jvm.double, 0)
        self._task_quantiles = gateway.new_array(self._jvm.double, len(TASK_QUANTILES))
        for index, value in enumerate(TASK_QUANTILES):
            self._task_quantiles[index] = value
        self._all_task_statuses = self._jvm.java.util.ArrayList()

    def _build_mapper(self) -> Any:
        """A Jackson mapper configured like the REST API's (Scala module, no absent Options)."""
        jackson = self._jvm.com.fasterxml.jackson
        mapper = jackson.databind.ObjectMapper()
        scala_module = getattr(jackson.module.scala, "DefaultScalaModule$").__getattr__("MODULE$")
        mapper.registerModule(scala_module)
        mapper.setSerializationInclusion(jackson.annotation.JsonInclude.Include.NON_ABSENT)
        return mapper

    def to_python(self, java_obj: Any) -> Any:
        """Any JVM object Jackson can serialize (case classes, Scala collections), as Python data."""
        return json.loads(self._mapper.writeValueAsString(java_obj))

    def wait_for_listeners(self, timeout_ms: int) -> bool:
        """Block until every event posted so far reached the status store.

        Jobs post their end events before the action returns, but the listener that fills the
        store runs asynchronously. Returns False when the bus did not drain within ``timeout_ms``
        (a very busy driver); the numbers may then be incomplete.
        """
        try:
            self._jsc.listenerBus().waitUntilEmpty(int(timeout_ms))
        except Exception as error:  # py4j wraps java.util.concurrent.TimeoutException
            if "TimeoutException" in str(error):
                return False
            raise
        return True

    def job_ids_for_group(self, group_id: str) -> list[int]:
        """Ids of every retained job that ran under ``group_id``, ascending."""
        # One round trip: the int[] comes back as JSON rather than element by element.
        return sorted(int(j) for j in self.to_python(self._tracker.getJobIdsForGroup(group_id)))

    def job(self, job_id: int) -> dict[str, Any] | None:
        """One job as the REST API's ``JobData``, or None when Spark no longer retains it."""
        try:
            job: dict[str, Any] = self.to_python(self._store.job(int(job_id)))
            return job
        except Exception as error:
            if "NoSuchElementException" in str(error):
                return None
            raise

    def stage_attempts(self, stage_id: int) -> list[dict[str, Any]]:
        """Every attempt of one stage as the REST API's ``StageData`` (no task details)."""
        empty_quantiles = gateway_of(self._sc).new_array(self._jvm.double, 0)
        try:
            seq = self._store.stageData(
                int(stage_id), False, self._jvm.java.util.ArrayList(), False, empty_quantiles
            )
        except Exception as error:
            if "NoSuchElementException" in str(error):
                return []
            raise
        return list(self.to_python(seq))

    def task_summary(self, stage_id: int, attempt_id: int) -> dict[str, Any] | None:
        """Task metric distributions (``TASK_QUANTILES``) of one stage attempt's successful tasks."""
        summary = self.to_python(
            self._store.taskSummary(int(stage_id), int(attempt_id), self._task_quantiles)
        )
        return summary or None

    def executors(self, active_only: bool = False) -> list[dict[str, Any]]:
        """Executor summaries (the driver is listed as executor ``driver`` in local mode)."""
        return list(self.to_python(self._store.executorList(bool(active_only))))
