#!/usr/bin/env bash
# The jsii Python package (dist `spark-deploy`, module `spark_deploy`).
#   build      build dist/python/*.whl with jsii-pacmak, unless the wheel already holds the current
#              assembly, README and jobs package (a stamp file holds their hash)
#   venv DIR   a fresh venv at DIR with the built wheel, and aws-cdk-lib, constructs, cdk8s and cdk8s-plus-27
#              at our devDependencies' versions (the versions the assembly is compiled and tested against)
# Everything pip downloads stays in .tools/pip-cache (wheelhouses + HTTP cache): reruns install offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache="$root/.tools/pip-cache"
python=${PYTHON:-python3}
export PIP_CACHE_DIR="$cache/http" PIP_DISABLE_PIP_VERSION_CHECK=1

# jsii-pacmak and the generated package need Python >= 3.10 with venv and ensurepip (Debian splits them out).
ensure_python() {
  if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    echo "python-package: $python must be Python 3.10 or newer (jsii's Python runtime needs it); got: $("$python" --version 2>&1 || echo none)" >&2
    exit 2
  fi
  if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "python-package: installing python3-venv ($python has no venv/ensurepip)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv
    else sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv; fi
  fi
}

# download_once DIR STAMP_TEXT PIP_DOWNLOAD_ARGS...: fill a wheelhouse once per distinct request.
download_once() {
  local dir=$1 want=$2
  shift 2
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ]; then return 0; fi
  mkdir -p "$dir"
  echo "python-package: downloading into ${dir#"$root"/}" >&2
  "$python" -m pip download --quiet --dest "$dir" "$@"
  echo "$want" > "$dir/.stamp"
}

# What the wheel is made of: the assembly and compiled JS, the README (the package's long description)
# and the jobs package that ships inside the npm tarball the wheel embeds.
inputs_hash() {
  { find lib jobs/src -type f \( -name '*.js' -o -name '*.py' -o -name '*.json' -o -name '*.txt' \) -not -path '*/__pycache__/*'
    echo .jsii; echo README.md; echo jobs/pyproject.toml; echo package.json; } \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
}

build() {
  if [ ! -f .jsii ]; then
    echo "python-package: .jsii is missing: run \`npx projen compile\` first" >&2
    exit 2
  fi
  ensure_python
  local stamp="$root/dist/python/.inputs" want
  want=$(inputs_hash)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && ls dist/python/*.whl >/dev/null 2>&1; then
    echo "python-package: dist/python is current" >&2
    return 0
  fi
  # jsii-pacmak builds in a venv of its own (pip install of its requirements-dev.txt, then an isolated
  # `python -m build`): serve both from a local wheelhouse, so only the first build needs the network.
  local tools="$cache/build-tools" requirements=node_modules/jsii-pacmak/lib/targets/python/requirements-dev.txt
  download_once "$tools" "$(sha256sum "$requirements" | cut -d' ' -f1)" -r "$requirements"
  rm -rf dist/python
  PIP_NO_INDEX=1 PIP_FIND_LINKS="$tools" npx jsii-pacmak --target python
  echo "$want" > "$stamp"
  ls dist/python/*.whl
}

venv() {
  local dir=${1:?usage: python-package.sh venv DIR}
  ensure_python
  local wheels=(dist/python/*.whl)
  if [ ! -f "${wheels[0]}" ] || [ ${#wheels[@]} -ne 1 ]; then
    echo "python-package: expected one wheel in dist/python (run \`npx projen package:python\`), found: ${wheels[*]}" >&2
    exit 2
  fi
  local wheel=$root/${wheels[0]} pins requires
  # Pin the CDK libraries to the versions in package.json's devDependencies.
  pins=$(node -e '
    const d = require("./package.json").devDependencies;
    for (const n of ["aws-cdk-lib", "constructs", "cdk8s", "cdk8s-plus-27"]) console.log(`${n}==${d[n]}`);')
  # The wheel's own requirements (jsii, publication, typeguard and the peers), from its METADATA.
  requires=$("$python" - "$wheel" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as whl:
    meta = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
    for line in whl.read(meta).decode().splitlines():
        if line.startswith("Requires-Dist:"):
            print(line.split(":", 1)[1].strip())
EOF
)
  local constraints="$cache/cdk-pins.txt" wheelhouse="$cache/cdk-wheels"
  mkdir -p "$cache"
  echo "$pins" > "$constraints"
  local -a reqs
  mapfile -t reqs <<<"$requires"
  download_once "$wheelhouse" "$(printf '%s\n%s\n' "$pins" "$requires" | sha256sum | cut -d' ' -f1)" -c "$constraints" "${reqs[@]}"
  rm -rf "$dir"
  "$python" -m venv "$dir"
  # --no-compile: byte-compiling all of aws-cdk-lib takes minutes; Python compiles what the app imports.
  "$dir/bin/python" -m pip install --quiet --no-compile --no-index --find-links "$wheelhouse" -c "$constraints" "$wheel"
}

case "${1:-}" in
  build) build ;;
  venv) shift; venv "$@" ;;
  *) echo "usage: python-package.sh build | venv DIR" >&2; exit 2 ;;
esac
