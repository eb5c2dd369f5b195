"""Validate Kubernetes manifests against the core API schemas bundled by kubernetes-validate (offline).

Reads a JSON array of manifests on stdin and prints a JSON array of findings, one per invalid object:
``{"index": i, "kind": ..., "name": ..., "path": ..., "error": ...}``. Core kinds are validated as they are;
for Spark Operator objects (whose CRD leaves the pod templates schemaless) each driver and executor
``template`` is validated as a core ``PodTemplate``. Strict mode rejects unknown fields, like
``kubectl apply --validate=strict``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import kubernetes_validate

SPARK_GROUP = "sparkoperator.k8s.io/"


def _spark_templates(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The pod templates of a SparkApplication or ScheduledSparkApplication, with their JSON paths."""
    spec = doc.get("spec") or {}
    app_spec, prefix = (
        (spec.get("template") or {}, "spec.template")
        if doc.get("kind") == "ScheduledSparkApplication"
        else (spec, "spec")
    )
    found = []
    for role in ("driver", "executor"):
        template = (app_spec.get(role) or {}).get("template")
        if template is not None:
            found.append((f"{prefix}.{role}.template", template))
    return found


def _check(obj: dict[str, Any], version: str) -> str | None:
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path)
        return f"{where}: {e.message}"
    except kubernetes_validate.SchemaNotFoundError as e:
        return e.message
    return None


def main() -> int:
    """Validate the manifests on stdin; exit 0 and print the findings (empty when all are valid)."""
    version = sys.argv[1] if len(sys.argv) > 1 else "1.30.0"
    docs = json.load(sys.stdin)
    findings = []
    for index, doc in enumerate(docs):
        name = (doc.get("metadata") or {}).get("name")
        if str(doc.get("apiVersion", "")).startswith(SPARK_GROUP):
            for path, template in _spark_templates(doc):
                pod_template = {
                    "apiVersion": "v1",
                    "kind": "PodTemplate",
                    "metadata": {"name": "t"},
                    "template": template,
                }
                error = _check(pod_template, version)
                if error:
                    findings.append(
                        {"index": index, "kind": doc.get("kind"), "name": name, "path": path, "error": error}
                    )
            continue
        error = _check(doc, version)
        if error:
            findings.append(
                {"index": index, "kind": doc.get("kind"), "name": name, "path": "", "error": error}
            )
    json.dump(findings, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
