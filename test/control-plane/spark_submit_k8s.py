"""Submit a SparkApplication to a real API server with pyspark's own ``spark-submit`` (cluster mode).

Reads ``{"name", "namespace", "spec", "master", "caFile", "tokenFile", "dropTemplates"}`` on stdin, runs
``spark-submit --master k8s://... --deploy-mode cluster`` with the configuration the Spark Operator passes
for that spec (``operator_conf`` of test/support/spark_pod_builder.py, i.e. submission.go of v2.5.2) and
``spark.kubernetes.submission.waitAppCompletion=false``, and prints ``{"returncode", "output"}``. Spark's
submission client then creates the driver pod, its ConfigMaps and its Service in the API server, whose
admission (Pod Security, service accounts) judges the real objects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from spark_pod_builder import operator_conf


def submit_command(request: dict[str, Any], template_dir: str) -> list[str]:
    """The spark-submit command line for the request."""
    spec = request["spec"]
    if request.get("dropTemplates"):
        spec = {**spec, "driver": dict(spec["driver"]), "executor": dict(spec["executor"])}
        spec["driver"].pop("template", None)
        spec["executor"].pop("template", None)
    conf = operator_conf(request["name"], request["namespace"], spec, template_dir)
    conf.pop("spark.master")
    py_files = conf.pop("spark.submit.pyFiles", None)
    conf.update(
        {
            "spark.kubernetes.submission.waitAppCompletion": "false",
            "spark.kubernetes.authenticate.submission.caCertFile": request["caFile"],
            "spark.kubernetes.authenticate.submission.oauthTokenFile": request["tokenFile"],
        }
    )
    command = ["spark-submit", "--master", request["master"], "--deploy-mode", "cluster"]
    for key, value in sorted(conf.items()):
        command += ["--conf", f"{key}={value}"]
    if py_files:
        command += ["--py-files", py_files]
    return [*command, spec["mainApplicationFile"], *(spec.get("arguments") or [])]


def main() -> int:
    """Run spark-submit for the request on stdin; print its exit code and output."""
    request = json.load(sys.stdin)
    with tempfile.TemporaryDirectory() as template_dir:
        done = subprocess.run(
            submit_command(request, template_dir),
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    json.dump({"returncode": done.returncode, "output": done.stdout + done.stderr}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
