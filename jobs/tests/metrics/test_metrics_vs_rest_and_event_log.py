"""Stage numbers from SparkExecutionMetrics equal Spark's REST API and the raw event log.

The workload runs in a separate Spark application (a subprocess) because the REST API needs the
UI on and the event log needs spark.eventLog.enabled, both static settings that the shared test
session keeps off.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

WORKLOAD = Path(__file__).with_name("_rest_eventlog_workload.py")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work_dir = tmp_path_factory.mktemp("rest-eventlog")
    completed = subprocess.run(
        [sys.executable, str(WORKLOAD), str(work_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_tracked_jobs_are_exactly_the_group_jobs_in_rest(run: dict[str, Any]) -> None:
    group = run["metrics"]["job_group"]
    rest_group_jobs = sorted(j["jobId"] for j in run["rest_jobs"] if j.get("jobGroup") == group)
    untracked = [j["jobId"] for j in run["rest_jobs"] if j.get("jobGroup") != group]
    tracked = [j["job_id"] for j in run["metrics"]["jobs"]]
    assert tracked == rest_group_jobs
    assert untracked, "the workload runs an untracked job first"
    assert not set(untracked) & set(tracked)
    assert run["rows"] == 89  # keys 0..88 are on both sides


def test_every_stage_matches_the_rest_api(run: dict[str, Any]) -> None:
    pairs = [
        ("shuffle_write_bytes", "shuffleWriteBytes"),
        ("shuffle_read_bytes", "shuffleReadBytes"),
        ("shuffle_write_records", "shuffleWriteRecords"),
        ("input_records", "inputRecords"),
        ("executor_run_time_ms", "executorRunTime"),
        ("memory_bytes_spilled", "memoryBytesSpilled"),
        ("num_tasks", "numTasks"),
    ]
    assert run["metrics"]["stages"]
    for stage in run["metrics"]["stages"]:
        rest = run["rest_stages"][f"{stage['stage_id']}:{stage['attempt_id']}"]
        assert stage["status"] == rest["status"]
        for ours, theirs in pairs:
            assert stage[ours] == rest[theirs], (stage["stage_id"], ours)


def test_shuffle_bytes_equal_the_event_log_task_sums(run: dict[str, Any]) -> None:
    ran = [s for s in run["metrics"]["stages"] if s["status"] != "SKIPPED"]
    assert any(s["shuffle_write_bytes"] > 0 for s in ran)
    assert any(s["shuffle_read_bytes"] > 0 for s in ran)
    for stage in ran:
        logged = run["event_log"][f"{stage['stage_id']}:{stage['attempt_id']}"]
        assert stage["shuffle_write_bytes"] == logged["shuffle_write_bytes"]
        assert stage["shuffle_read_bytes"] == logged["shuffle_read_bytes"]
        assert stage["input_records"] == logged["input_records"]
    totals = run["metrics"]["totals"]
    assert totals["shuffle_write_bytes"] == sum(
        run["event_log"][f"{s['stage_id']}:{s['attempt_id']}"]["shuffle_write_bytes"] for s in ran
    )
    assert totals["input_records"] == 250_000  # both sides of the join, read once each
    # Skipped stages reuse shuffle output: they ran no tasks, so the event log has none for them.
    skipped = [s for s in run["metrics"]["stages"] if s["status"] == "SKIPPED"]
    assert all(f"{s['stage_id']}:{s['attempt_id']}" not in run["event_log"] for s in skipped)
