#!/usr/bin/env bash
# Run independent test stages side by side; exit 1 if any of them failed.
#
# Why: after jest, the Python suites of the two Spark lines and the control-plane suite share nothing (own venvs,
# temp dirs, free ports) and each leaves a core idle much of the time (JVM start-up, py4j round trips, API-server
# waits). One after another they took about half of CI's time. jest itself stays alone: some of its tests compare
# two runs' wall times, which a busy neighbour would skew.
#
# Usage: side-by-side.sh 'name=command' ['name=command' ...]
# Each stage logs to .tools/test-logs/<name>.log (SIDE_BY_SIDE_LOGS moves it); a stage's log is printed whole when it ends, in the order they end,
# so CI output stays readable. A line every 5 minutes says which stages are still running.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || { echo "side-by-side: usage: $0 'name=command' ..." >&2; exit 2; }
logs=${SIDE_BY_SIDE_LOGS:-.tools/test-logs}
mkdir -p "$logs"

# Check every stage before starting any.
for stage in "$@"; do
  name=${stage%%=*}
  if [ -z "$name" ] || [ "$name" = "$stage" ] || [ -z "${stage#*=}" ]; then
    echo "side-by-side: '$stage' is not name=command" >&2
    exit 2
  fi
done

declare -A name_of=() started_at=()
for stage in "$@"; do
  name=${stage%%=*}
  log="$logs/${name//[^A-Za-z0-9._-]/_}.log"
  bash -c "${stage#*=}" >"$log" 2>&1 &
  name_of[$!]=$name
  started_at[$!]=$SECONDS
  echo "side-by-side: started $name (log: $log)"
done

heartbeat() {
  while sleep 300; do echo "side-by-side: still running after $((SECONDS / 60)) min"; done
}
heartbeat &
heartbeat_pid=$!
trap 'kill "$heartbeat_pid" 2>/dev/null || true' EXIT

failed=()
while [ "${#name_of[@]}" -gt 0 ]; do
  rc=0
  wait -n -p done_pid "${!name_of[@]}" || rc=$?
  name=${name_of[$done_pid]}
  log="$logs/${name//[^A-Za-z0-9._-]/_}.log"
  echo "=== $name: exit $rc after $((SECONDS - started_at[$done_pid])) s ==="
  cat "$log"
  echo "=== end of $name ==="
  [ "$rc" -eq 0 ] || failed+=("$name (exit $rc)")
  unset "name_of[$done_pid]"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "side-by-side: failed: ${failed[*]}" >&2
  exit 1
fi
echo "side-by-side: all $# stages passed in $SECONDS s"
