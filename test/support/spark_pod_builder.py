"""Build the driver and executor pods of a SparkApplication with Spark's own Kubernetes code, offline.

Reads ``{"name": ..., "namespace": ..., "spec": <SparkApplication spec>}`` on stdin and prints
``{"sparkVersion": ..., "driver": {"pod": ..., "container": ...}, "executor": {...}}``: the pods Spark's
``KubernetesDriverBuilder`` and ``KubernetesExecutorBuilder`` (from the pyspark installation's
spark-kubernetes jar) build from the configuration the Spark Operator passes to spark-submit. No API server is
contacted: the builders only assemble pod specs (pod templates are parsed from files by the fabric8 client).

The spec-to-configuration mapping follows the operator's
``internal/controller/sparkapplication/submission.go`` (v2.5.2): ``sparkConf`` and ``hadoopConf`` first, then
the typed driver and executor fields, which win, and each pod template written to a file for
``spark.kubernetes.{driver,executor}.podTemplateFile``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any

from pyspark import __version__ as pyspark_version
from pyspark.java_gateway import launch_gateway

MASTER = "k8s://https://127.0.0.1:6443"


def operator_conf(name: str, namespace: str, spec: dict[str, Any], template_dir: str) -> dict[str, str]:
    """The Spark properties the operator passes to spark-submit for this spec."""
    conf: dict[str, str] = {
        "spark.master": MASTER,
        "spark.app.name": name,
        "spark.kubernetes.namespace": namespace,
    }
    conf["spark.kubernetes.container.image"] = spec["image"]
    if "imagePullPolicy" in spec:
        conf["spark.kubernetes.container.image.pullPolicy"] = spec["imagePullPolicy"]
    conf.update(spec.get("sparkConf", {}))
    conf.update({f"spark.hadoop.{k}": v for k, v in spec.get("hadoopConf", {}).items()})
    containers = {"driver": "spark-kubernetes-driver", "executor": "spark-kubernetes-executor"}
    for role in ("driver", "executor"):
        pod = spec[role]
        template = pod.get("template")
        if template is not None:
            path = os.path.join(template_dir, f"{role}-pod-template.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(template, f)
            conf[f"spark.kubernetes.{role}.podTemplateFile"] = path
            conf[f"spark.kubernetes.{role}.podTemplateContainerName"] = containers[role]
        if "cores" in pod:
            conf[f"spark.{role}.cores"] = str(pod["cores"])
        for field, key in (("coreRequest", "request.cores"), ("coreLimit", "limit.cores")):
            if field in pod:
                conf[f"spark.kubernetes.{role}.{key}"] = pod[field]
        for field in ("memory", "memoryOverhead"):
            if field in pod:
                conf[f"spark.{role}.{field}"] = pod[field]
        if "serviceAccount" in pod:
            conf[f"spark.kubernetes.authenticate.{role}.serviceAccountName"] = pod["serviceAccount"]
        for k, v in pod.get("labels", {}).items():
            conf[f"spark.kubernetes.{role}.label.{k}"] = v
        for k, v in pod.get("annotations", {}).items():
            conf[f"spark.kubernetes.{role}.annotation.{k}"] = v
    if "instances" in spec["executor"]:
        conf["spark.executor.instances"] = str(spec["executor"]["instances"])
    da = spec.get("dynamicAllocation") or {}
    if da.get("enabled"):
        conf["spark.dynamicAllocation.enabled"] = "true"
        for field, key in (
            ("initialExecutors", "initialExecutors"),
            ("minExecutors", "minExecutors"),
            ("maxExecutors", "maxExecutors"),
        ):
            if field in da:
                conf[f"spark.dynamicAllocation.{key}"] = str(da[field])
        conf["spark.dynamicAllocation.shuffleTracking.enabled"] = str(
            da.get("shuffleTrackingEnabled", True)
        ).lower()
    py_files = (spec.get("deps") or {}).get("pyFiles") or []
    if py_files:
        conf["spark.submit.pyFiles"] = ",".join(py_files)
    return conf


def build(request: dict[str, Any]) -> dict[str, Any]:
    """Builds both pods with Spark's builders and returns them as Kubernetes JSON."""
    spec = request["spec"]
    with tempfile.TemporaryDirectory() as template_dir:
        properties = operator_conf(request["name"], request["namespace"], spec, template_dir)
        gateway = launch_gateway()
        try:
            jvm = gateway.jvm
            conf = jvm.org.apache.spark.SparkConf(False)
            for k, v in properties.items():
                conf.set(k, v)
            k8s = jvm.org.apache.spark.deploy.k8s
            none = jvm.scala.Option.empty()
            client = (
                jvm.io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(
                    jvm.io.fabric8.kubernetes.client.ConfigBuilder()
                    .withMasterUrl("https://127.0.0.1:6443")
                    .build()
                )
                .build()
            )
            serialize = jvm.io.fabric8.kubernetes.client.utils.Serialization.asJson

            executor_conf = k8s.KubernetesConf.createExecutorConf(conf, "1", "spark-app-id", none, 0)
            security = jvm.org.apache.spark.SecurityManager(
                conf, none, getattr(jvm.org.apache.spark.SecurityManager, "$lessinit$greater$default$3")()
            )
            profiles = getattr(getattr(jvm.org.apache.spark.resource, "ResourceProfile$"), "MODULE$")
            profile = profiles.getOrCreateDefaultProfile(conf)
            executor = (
                jvm.org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBuilder().buildFromFeatures(
                    executor_conf, security, client, profile
                )
            )

            args = spec.get("arguments") or []
            app_args = gateway.new_array(jvm.java.lang.String, len(args))
            for i, a in enumerate(args):
                app_args[i] = a
            resource = k8s.submit.PythonMainAppResource(spec["mainApplicationFile"])
            driver_args = [
                conf,
                "spark-app-id",
                resource,
                "org.apache.spark.deploy.PythonRunner",
                app_args,
                none,
            ]
            if not pyspark_version.startswith("3."):
                driver_args.append(jvm.org.apache.spark.util.SystemClock())  # Spark 4 added a clock
            driver_conf = k8s.KubernetesDriverConf(*driver_args)
            driver = k8s.submit.KubernetesDriverBuilder().buildFromFeatures(driver_conf, client)

            def pods(spark_pod: Any) -> dict[str, Any]:
                return {
                    "pod": json.loads(serialize(spark_pod.pod())),
                    "container": json.loads(serialize(spark_pod.container())),
                }

            return {
                "sparkVersion": pyspark_version,
                "driver": pods(driver.pod()),
                "executor": pods(executor.pod()),
                "driverSystemProperties": {
                    str(k): str(v)
                    for k, v in dict(
                        jvm.scala.collection.JavaConverters.mapAsJavaMap(driver.systemProperties())
                    ).items()
                },
            }
        finally:
            gateway.shutdown()


def main() -> int:
    """Read the request on stdin, print the built pods on stdout."""
    json.dump(build(json.load(sys.stdin)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
