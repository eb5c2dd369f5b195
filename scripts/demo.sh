#!/usr/bin/env bash
# The main job: from a fresh clone, set up what is missing and show the whole product on one machine.
#
#   bash scripts/demo.sh [--rows N] [--seed S] [--spark-line 3.5|4.0]
#
# Sets up: npm packages (npm install when node_modules is missing), the Python venvs of both Spark lines
# (jobs/scripts/setup-venv.sh), the S3A jars (scripts/fetch-s3a-jars.sh, for the tests), checks
# Java 17, compiles the TypeScript library when lib/ is stale
# (bin/spark-deploy runs it). Then (scripts/demo/main.ts): synthesizes both example apps, builds the
# versioned job artifact, generates sample transactions (two periods), runs the feature pipeline, the
# ML training data (its summary printed), the validation (PSI between the periods) and the metrics on
# local Spark with the configuration the EMR Serverless construct rendered, and writes everything under
# out/demo/ (out/demo/summary.json).
# Default size: 20000 generated rows (two periods of about 10000), a few minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

spark_line=3.5   # the line of the examples' release (emr-7.12.0, Spark 3.5.6)
args=("$@")
rest=()   # the flags for scripts/demo/main.ts, --spark-line taken out
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --spark-line) spark_line=${args[$((i + 1))]:-}; i=$((i + 1)) ;;
    --spark-line=*) spark_line=${args[$i]#--spark-line=} ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) rest+=("${args[$i]}") ;;
  esac
done
case "$spark_line" in
  3.5|4.0) ;;
  *) echo "demo: --spark-line must be 3.5 or 4.0, got '$spark_line'" >&2; exit 2 ;;
esac

say() { printf '\n== %s\n' "$*"; }

say "Checking the tools"
command -v node >/dev/null || { echo "demo: Node.js 20+ is needed (node not found)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || { echo "demo: Node.js 20+ is needed, found $(node --version)" >&2; exit 1; }
command -v java >/dev/null || { echo "demo: Java 17 is needed for Spark (java not found; e.g. apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
java_version=$(java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -1)
[ -n "$java_version" ] && [ "$java_version" -ge 17 ] || { echo "demo: Java 17+ is needed for Spark, found: $(java -version 2>&1 | head -1)" >&2; exit 1; }
echo "node $(node --version), java $java_version"

if [ ! -d node_modules ]; then
  say "Installing npm packages"
  npm install --no-audit --no-fund --no-save  # not npm ci: see .ci/run
fi

# Both Spark lines' venvs and S3A jars: the demo runs on one line, `npm test` (the README's second
# command) runs the S3A and contract tests on both, and tests never download anything themselves.
for line in 4.0 3.5; do
  say "Python venv for Spark $line"
  SPARK_LINE=$line bash jobs/scripts/setup-venv.sh
  echo "ok: $(SPARK_LINE=$line bash jobs/scripts/in-venv.sh python -c 'import pyspark; print("pyspark", pyspark.__version__)')"
done
if [ "${SKIP_S3A_JARS:-0}" != 1 ]; then
  say "S3A connector jars (once; about 840 MB for both lines; SKIP_S3A_JARS=1 skips)"
  bash scripts/fetch-s3a-jars.sh
fi
# Delta Lake and Iceberg jars of both lines (~110 MB once): the table job's tests and local runs.
say "Table-format jars: Delta Lake, Apache Iceberg (once; about 110 MB)"
bash scripts/fetch-table-jars.sh
# The pinned job-dependency wheels (numpy, pandas, pyarrow for two runtimes, ~150 MB once): the example
# apps and the tests build the dependency archive from them offline.
say "Job dependency wheels (once; about 150 MB)"
bash scripts/fetch-dependency-wheels.sh

if [ ! -f lib/index.js ] || [ -n "$(find src -name '*.ts' -newer lib/index.js -print -quit)" ]; then
  say "Compiling the TypeScript library (lib/ is missing or older than src/)"
  npx projen compile
fi

say "Running the main job"
exec npx ts-node --transpile-only -P test/tsconfig.json scripts/demo/main.ts --spark-line "$spark_line" ${rest[@]+"${rest[@]}"}
