#!/usr/bin/env bash
# Regenerate src/imports/sparkoperator.k8s.io.ts from the Spark Operator CRDs in ../shared/schemas.
# Both CRDs share the API group, so they are imported as one multi-document YAML
# (importing them one by one would overwrite the first; see shared/reference/toolchain-notes.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
schemas=${SPARK_OPERATOR_SCHEMAS:-$root/../shared/schemas}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  cat "$schemas/sparkoperator.k8s.io_sparkapplications.yaml"
  printf '\n---\n'
  cat "$schemas/sparkoperator.k8s.io_scheduledsparkapplications.yaml"
} > "$tmp/spark-operator-crds.yaml"
cd "$root"
npx cdk8s import "$tmp/spark-operator-crds.yaml" --language typescript --output src/imports
echo "import: wrote src/imports/sparkoperator.k8s.io.ts"
