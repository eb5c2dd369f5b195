#!/usr/bin/env bash
# Download, once, the binary wheels the dependency-archive tests build from, into .tools/wheels/<target>/
# (ignored by git). Each target's wheels are pinned with their SHA-256 in scripts/dependency-wheels/<target>.txt
# (pip --require-hashes refuses anything else); a wheel already present with the right hash is not fetched
# again, so a second run needs no network.
#
#   bash scripts/fetch-dependency-wheels.sh                  # every target
#   bash scripts/fetch-dependency-wheels.sh cp39-aarch64     # one target
#   DEPENDENCY_WHEELS_DIR=/elsewhere bash scripts/fetch-dependency-wheels.sh
#
# <target> is cp<python>-<arch>; the wheels are the manylinux ones the target's glibc can load: a lock file's
# `# glibc: 2.<minor>` line names it (2.35 for Ubuntu 22.04 images), else 2.34 (Amazon Linux 2023).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest_root=${DEPENDENCY_WHEELS_DIR:-$root/.tools/wheels}
locks=${DEPENDENCY_WHEELS_LOCKS:-$root/scripts/dependency-wheels}
python=${PYTHON:-$root/jobs/.venv/bin/python}
[ -x "$python" ] || python=python3

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$locks"/*.txt; do targets+=("$(basename "$f" .txt)"); done
fi

for target in "${targets[@]}"; do
  lock="$locks/$target.txt"
  if [ ! -f "$lock" ]; then
    echo "fetch-dependency-wheels: no pinned wheels for '$target' (have: $(ls "$locks" | sed 's/\.txt$//' | tr '\n' ' '))" >&2
    exit 2
  fi
  if [[ ! "$target" =~ ^cp3([0-9]+)-(x86_64|aarch64)$ ]]; then
    echo "fetch-dependency-wheels: target '$target' is not cp3<minor>-<x86_64|aarch64>" >&2
    exit 2
  fi
  minor=${BASH_REMATCH[1]} arch=${BASH_REMATCH[2]}
  glibc_minor=$(sed -n 's/^# glibc: 2\.\([0-9][0-9]*\)$/\1/p' "$lock")
  # Accept every manylinux tag up to the target's glibc (pip does not expand them itself).
  platforms=()
  for y in $(seq "${glibc_minor:-34}" -1 17); do platforms+=(--platform "manylinux_2_${y}_${arch}"); done
  platforms+=(--platform "manylinux2014_${arch}")
  dir="$dest_root/$target"
  mkdir -p "$dir"
  echo "fetch-dependency-wheels: $target -> ${dir#"$root"/}" >&2
  common=(download --quiet --dest "$dir" --require-hashes --no-deps --only-binary=:all: "${platforms[@]}"
    --python-version "3.$minor" --implementation cp --abi "cp3$minor" -r "$lock")
  # Offline first: everything already there with the pinned hashes means no download at all.
  if ! "$python" -m pip "${common[@]}" --no-index --find-links "$dir" >/dev/null 2>&1; then
    if ! "$python" -m pip "${common[@]}" --index-url "${PIP_INDEX_URL:-https://pypi.org/simple}"; then
      echo "fetch-dependency-wheels: could not get $target's wheels with the pinned SHA-256 ($lock); a wheel with another hash is never used" >&2
      exit 1
    fi
  fi
done
