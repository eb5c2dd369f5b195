#!/usr/bin/env bash
# Download the table-format jars for local runs and tests, once per Spark line, into
# .tools/table-jars/<line>/ (a folder of its own: the S3A runs of .tools/jars/<line>/ stay as they are):
#   Delta Lake: delta-spark (Scala line of pyspark) + delta-storage (its LogStore, same version);
#   Apache Iceberg: iceberg-spark-runtime (one shaded jar per Spark minor line).
# Every jar is checked against the SHA-1 pinned below (the .sha1 Maven Central publishes); a file
# that is present and matches is not downloaded again.
#
#   bash scripts/fetch-table-jars.sh            # both lines
#   bash scripts/fetch-table-jars.sh 3.5        # one line (3.5 or 4.0)
#   TABLE_JARS_DIR=/elsewhere bash scripts/fetch-table-jars.sh
#
# Versions: Delta 3.3.x is the last Delta line built on Spark 3.5 (delta-spark_2.12 3.3.2 is built
# against spark-sql 3.5.3); Delta 4.0.x is the line built on Spark 4.0 (4.1+ builds on Spark 4.1).
# Iceberg 1.10.1 ships a runtime for both Spark 3.5 (Scala 2.12) and Spark 4.0 (Scala 2.13).
# The coordinates match TABLE_FORMAT_PACKAGES in src/config/table-formats.ts (test/config/
# table-formats.test.ts checks it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest_root=${TABLE_JARS_DIR:-$root/.tools/table-jars}

# line|group:artifact:version|sha1
JARS=(
  "3.5|io.delta:delta-spark_2.12:3.3.2|07fff11b74e7284eec27fe106f31c95b3acc8018"
  "3.5|io.delta:delta-storage:3.3.2|e24b01486ee7a26df8a2735eb186f4ee1821fc9e"
  "3.5|org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.1|6e4f43ae82d2291fa38c7a8fc1a46fbf95e8190f"
  "4.0|io.delta:delta-spark_2.13:4.0.1|3e469898dc4ed083c735ae360beb063adcd12e9d"
  "4.0|io.delta:delta-storage:4.0.1|ebc5384d953c1d70d0ce4ceee42892da74051a81"
  "4.0|org.apache.iceberg:iceberg-spark-runtime-4.0_2.13:1.10.1|aa296e2a410cac2270e4d4130de0e7bfde714e11"
)

# shellcheck source=lib/maven-jars.sh
source "$root/scripts/lib/maven-jars.sh"
fetch_maven_jars fetch-table-jars "$dest_root" "$@"
