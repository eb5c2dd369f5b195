#!/usr/bin/env bash
# Run a command inside jobs/ with the venv of SPARK_LINE (4.0 default, or 3.5) on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
case "${SPARK_LINE:-4.0}" in
  4.0) venv="$here/.venv" ;;
  3.5) venv="$here/.venv-spark3.5" ;;
  *) echo "in-venv: SPARK_LINE must be 4.0 or 3.5, got '${SPARK_LINE}'" >&2; exit 2 ;;
esac
[ -x "$venv/bin/python" ] || SPARK_LINE="${SPARK_LINE:-4.0}" bash "$here/scripts/setup-venv.sh"
export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv"
cd "$here"
exec "$@"
