#!/usr/bin/env bash
# Create (or refresh) the venv for one Spark line and install spark_jobs with its test extras.
#   SPARK_LINE=4.0 (default): jobs/.venv          -> pyspark 4.0.x, the emr-spark-8.0.0 line
#   SPARK_LINE=3.5          : jobs/.venv-spark3.5 -> pyspark 3.5.x, the emr-7.x line
# Reinstalls only when pyproject.toml changed (a stamp file holds its hash).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
line=${SPARK_LINE:-4.0}
case "$line" in
  4.0) venv="$here/.venv"; extra=spark40 ;;
  3.5) venv="$here/.venv-spark3.5"; extra=spark35 ;;
  *) echo "setup-venv: SPARK_LINE must be 4.0 or 3.5, got '$line'" >&2; exit 2 ;;
esac
python=${PYTHON:-python3}
stamp="$venv/.spark-jobs-stamp"
want="$(sha256sum "$here/pyproject.toml" | cut -d' ' -f1) $extra"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setup-venv: installing spark_jobs[test,$extra] into ${venv#"$here"/} (Spark $line)" >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e "$here[test,$extra]"
echo "$want" > "$stamp"
