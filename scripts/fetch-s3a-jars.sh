#!/usr/bin/env bash
# Download the S3A connector jars for local runs, once per Spark line, into .tools/jars/<line>/:
#   hadoop-aws (= the Hadoop version pyspark bundles), the AWS SDK bundle hadoop-aws was built with,
#   and spark-hadoop-cloud (the PathOutputCommitProtocol / BindingParquetOutputCommitter bindings
#   that route Spark's commits through the S3A magic committer).
# Every jar is checked against the SHA-1 pinned below (the .sha1 Maven Central publishes); a file
# that is present and matches is not downloaded again. The SDK bundles are big (v2 ~560 MB,
# v1 ~280 MB): download once, reuse.
#
#   bash scripts/fetch-s3a-jars.sh            # both lines
#   bash scripts/fetch-s3a-jars.sh 4.0        # one line (3.5 or 4.0)
#   S3A_JARS_DIR=/elsewhere bash scripts/fetch-s3a-jars.sh
#
# The coordinates match connectorPackages() in src/config/storage-properties.ts (test/local/
# fetch-s3a-jars.test.ts checks it). spark-hadoop-cloud: the newest patch release of the pyspark
# line on Maven Central (3.5.8, 4.0.2); the module is binary compatible within a minor line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest_root=${S3A_JARS_DIR:-$root/.tools/jars}

# line|group:artifact:version|sha1
JARS=(
  "3.5|org.apache.hadoop:hadoop-aws:3.3.4|a65839fbf1869f81a1632e09f415e586922e4f80"
  "3.5|com.amazonaws:aws-java-sdk-bundle:1.12.262|02deec3a0ad83d13d032b1812421b23d7a961eea"
  "3.5|org.apache.spark:spark-hadoop-cloud_2.12:3.5.8|1e9248e904195014e75da74001e9fd429243af16"
  "4.0|org.apache.hadoop:hadoop-aws:3.4.1|641d8fe1d7683cdcc05cc3a794c0374553f6bd6a"
  "4.0|software.amazon.awssdk:bundle:2.24.6|242317b028d951dbbf6a142241e041b684696a3b"
  "4.0|org.apache.spark:spark-hadoop-cloud_2.13:4.0.2|5f95eec6bd7898abf003c282f05e1642bcc97cf6"
)

# shellcheck source=lib/maven-jars.sh
source "$root/scripts/lib/maven-jars.sh"
fetch_maven_jars fetch-s3a-jars "$dest_root" "$@"
