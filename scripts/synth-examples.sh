#!/usr/bin/env bash
# Synthesizes every example app into examples/<name>/cdk.out (no AWS account, no Docker, no cluster).
# One command per example; keep it a plain list.
set -euo pipefail
cd "$(dirname "$0")/.."

# EMR Serverless (AWS CDK): writes examples/emr-serverless/cdk.out
npx ts-node --transpile-only -P test/tsconfig.json examples/emr-serverless/app.ts

# Spark Operator (cdk8s): writes examples/spark-operator/dist/spark-features.k8s.yaml
npx ts-node --transpile-only -P test/tsconfig.json examples/spark-operator/app.ts
