#!/usr/bin/env bash
# A real, local Kubernetes control plane for the tests: etcd + kube-apiserver + kube-scheduler + kwok
# (fake nodes, pod lifecycle without a kubelet), all on 127.0.0.1, nothing from a container registry.
#
#   scripts/k8s-control-plane.sh build   build the pinned binaries once into .tools/k8s/ (cold: ~15-30 min
#                                        on 2 cores; warm Go cache: seconds). Prints progress.
#   scripts/k8s-control-plane.sh start   start on free loopback ports, write .tools/k8s/run/kubeconfig
#   scripts/k8s-control-plane.sh env     print `export KUBECONFIG=...` (and PATH for the pinned kubectl)
#   scripts/k8s-control-plane.sh stop    stop exactly the processes `start` started (their recorded pids)
#   scripts/k8s-control-plane.sh status  exit 0 when the running plane answers /readyz
#
# Why built from source: the only registries reachable here are the language package registries, and the
# Go module proxy serves k8s.io/kubernetes. scripts/k8s-tools/ is a wrapper module (see its go.mod) whose
# go.sum pins every module by checksum.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
K8S_VERSION=v1.37.2          # kube-apiserver, kube-scheduler, kubectl (one go build: shared cache)
KWOK_VERSION=v0.8.0          # sigs.k8s.io/kwok (fake nodes); plain `go install`, no replace directives
TOOLS="${K8S_TOOLS_DIR:-$ROOT/.tools/k8s}"  # K8S_TOOLS_DIR: another place for the binaries (tests of this script)
BIN="$TOOLS/$K8S_VERSION"
KWOK_BIN="$TOOLS/kwok-$KWOK_VERSION"
RUN="$TOOLS/run"
MODULE_DIR="$ROOT/scripts/k8s-tools"

log() { echo "[k8s-control-plane] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_go() {
  command -v go >/dev/null 2>&1 || die "no Go toolchain on PATH. Install Go >= 1.26 (https://go.dev/dl or the \
machine's package manager, e.g. 'apt-get install golang-1.26'), then re-run: $0 build"
  local have; have="$(go env GOVERSION | sed 's/^go//')"
  local major minor; major="${have%%.*}"; minor="${have#*.}"; minor="${minor%%.*}"
  if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 26 ]; }; then
    die "Go $have is too old: k8s.io/kubernetes $K8S_VERSION needs Go >= 1.26. Install a newer Go and re-run: $0 build"
  fi
}

# `go build -v` prints each package as it is compiled; show a line every 100 so a cold build shows life.
progress() {
  local what="$1" start="$SECONDS" n=0 line
  while IFS= read -r line; do
    n=$((n + 1))
    echo "$line" >>"$TOOLS/build-$what.log"
    if [ $((n % 100)) -eq 0 ]; then log "$what: $n packages compiled, $((SECONDS - start)) s"; fi
  done
  log "$what: $n packages compiled in total, $((SECONDS - start)) s"
}

# What `kubectl version` and /version report (a plain go build leaves v0.0.0-master).
version_ldflags() {
  local v="${K8S_VERSION#v}" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$pkg" "$K8S_VERSION" "$pkg" "${v%%.*}" "$pkg" "$(echo "$v" | cut -d. -f2)" "$pkg"
  done
}

build_k8s() {
  if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-scheduler" ] && [ -x "$BIN/kubectl" ]; then
    log "kube-apiserver, kube-scheduler, kubectl $K8S_VERSION already built in $BIN"; return
  fi
  need_go
  mkdir -p "$BIN"
  : >"$TOOLS/build-k8s.log"
  log "building kube-apiserver, kube-scheduler, kubectl $K8S_VERSION (cold: ~15 min per 2 free cores; log $TOOLS/build-k8s.log)"
  local start="$SECONDS" rc=0
  # -p 2: the machine has 2 cores; one go build of the three commands so they share compiled packages.
  # nice: the build runs beside the other tests in CI; let them keep the CPU they ask for.
  (cd "$MODULE_DIR" && GOFLAGS=-mod=mod nice -n 10 go build -v -p 2 -trimpath -ldflags "-s -w $(version_ldflags)" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl) \
    2>&1 | progress k8s || rc=$?
  if [ "$rc" -ne 0 ] || [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/kube-scheduler" ] || [ ! -x "$BIN/kubectl" ]; then
    tail -30 "$TOOLS/build-k8s.log" >&2
    die "building Kubernetes $K8S_VERSION failed (log above, full log $TOOLS/build-k8s.log). It needs Go >= 1.26, \
a C-free build (CGO is not required), ~6 GB free disk for the Go cache and the Go module proxy reachable."
  fi
  log "built Kubernetes $K8S_VERSION in $((SECONDS - start)) s"
}

# kwok's standalone binary needs its Stage objects from a file: take kwok's own "fast" stages from its module
# (node-initialize: Ready with the allocatable the node was created with; pods Running, completed, deleted).
kwok_stages() {
  [ -s "$KWOK_BIN/stages.yaml" ] && return
  local dir; dir="$(cd "$TOOLS" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir/kustomize/stage" ] || die "kwok $KWOK_VERSION module has no kustomize/stage folder ($dir)"
  local f out="$KWOK_BIN/stages.yaml.tmp"; : >"$out"
  for f in node/fast/node-initialize pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    { echo "---"; cat "$dir/kustomize/stage/$f.yaml"; } >>"$out"
  done
  mv "$out" "$KWOK_BIN/stages.yaml"
}

build_kwok() {
  if [ -x "$KWOK_BIN/kwok" ]; then log "kwok $KWOK_VERSION already built"; kwok_stages; return; fi
  need_go
  mkdir -p "$KWOK_BIN"
  : >"$TOOLS/build-kwok.log"
  log "building kwok $KWOK_VERSION (log $TOOLS/build-kwok.log)"
  local start="$SECONDS"
  (GOBIN="$KWOK_BIN" nice -n 10 go install -v -p 2 -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION") \
    2>&1 | progress kwok || true
  [ -x "$KWOK_BIN/kwok" ] || { tail -30 "$TOOLS/build-kwok.log" >&2; die "building kwok $KWOK_VERSION failed (Go >= 1.26 and the Go module proxy needed)"; }
  kwok_stages
  log "built kwok in $((SECONDS - start)) s"
}

ensure_etcd() {
  if command -v etcd >/dev/null 2>&1; then return; fi
  if [ -x /usr/bin/etcd ]; then return; fi
  command -v apt-get >/dev/null 2>&1 || die "etcd is missing: install etcd (Debian/Ubuntu: apt-get install etcd-server)"
  log "installing etcd from Debian's etcd-server package"
  # The package's postinst would start a system etcd on :2379; policy-rc.d 101 keeps it from starting.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
  (apt-get install -y --no-install-recommends etcd-server >/dev/null 2>&1 || \
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends etcd-server >/dev/null; }) || \
    { [ "$created" = 1 ] && rm -f "$policy"; die "apt-get install etcd-server failed: install etcd >= 3.4 by hand"; }
  [ "$created" = 1 ] && rm -f "$policy"
  command -v etcd >/dev/null 2>&1 || die "etcd-server installed but no etcd on PATH"
}

cmd_build() {
  mkdir -p "$TOOLS"
  # One build at a time: CI starts `build` in the background early and `run` waits here for it.
  exec 9>"$TOOLS/build.lock"
  flock -n 9 || { log "waiting for the build already in progress (log $TOOLS/build-k8s.log)"; flock 9; }
  ensure_etcd
  build_k8s
  build_kwok
  log "all binaries ready: $BIN, $KWOK_BIN, $(command -v etcd)"
  exec 9>&-  # release the lock (and keep the plane's processes from inheriting it)
}

# ---- running the plane -----------------------------------------------------------------------------

free_ports() { python3 -c 'import socket
socks = [socket.socket() for _ in range(int('"$1"'))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'; }
token() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }

# Waits until `curl` of a URL answers "ok" (apiserver /readyz, scheduler /healthz).
wait_ok() {
  local what="$1" url="$2" auth="${3:-}" deadline=$((SECONDS + 90))
  until [ "$(curl -fsS --max-time 2 --cacert "$RUN/certs/apiserver.crt" ${auth:+-H "Authorization: Bearer $auth"} "$url" 2>/dev/null || \
             curl -fsSk --max-time 2 "$url" 2>/dev/null)" = ok ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then tail -20 "$RUN/$what.log" >&2; die "$what did not become ready in 90 s (log $RUN/$what.log)"; fi
    for pid in $(cat "$RUN/pids" 2>/dev/null); do kill -0 "$pid" 2>/dev/null || { tail -20 "$RUN/$what.log" >&2; die "a control-plane process ($pid) exited; see $RUN/*.log"; }; done
    sleep 0.5
  done
}

# Starts one process in the background, records its pid for `stop` (which stops exactly these pids).
spawn() {
  local name="$1"; shift
  "$@" >"$RUN/$name.log" 2>&1 < /dev/null &
  echo $! >>"$RUN/pids"
  echo "$name $!" >>"$RUN/processes"
}

kubeconfig() {  # user token
  cat <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $RUN/certs/apiserver.crt
users:
- name: $1
  user:
    token: $2
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
KC
}

cmd_start() {
  if [ -f "$RUN/pids" ] && cmd_status >/dev/null 2>&1; then log "already running (KUBECONFIG=$RUN/kubeconfig)"; return; fi
  [ -f "$RUN/pids" ] && cmd_stop
  cmd_build
  local t0="$SECONDS"
  rm -rf "$RUN"; mkdir -p "$RUN/certs" "$RUN/etcd"; chmod 700 "$RUN"
  read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT SCHEDULER_PORT KWOK_PORT <<<"$(free_ports 5)"
  local admin scheduler kwok; admin="$(token)"; scheduler="$(token)"; kwok="$(token)"
  # Static tokens (token,user,uid,groups), loopback-only and for this run only. The scheduler runs as
  # system:kube-scheduler so the API server's bootstrap RBAC (not system:masters) is what lets it work.
  { echo "$admin,spark-deploy-admin,uid-admin,\"system:masters\""
    echo "$scheduler,system:kube-scheduler,uid-scheduler"
    echo "$kwok,kwok-controller,uid-kwok,\"system:masters\""; } >"$RUN/tokens.csv"
  openssl genrsa -out "$RUN/sa.key" 2048 2>/dev/null
  openssl rsa -in "$RUN/sa.key" -pubout -out "$RUN/sa.pub" 2>/dev/null
  chmod 600 "$RUN"/tokens.csv "$RUN"/sa.key

  spawn etcd etcd --name local --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" --logger zap --log-level warn
  spawn kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --endpoint-reconciler-type none \
    --cert-dir "$RUN/certs" \
    --authorization-mode RBAC --token-auth-file "$RUN/tokens.csv" --anonymous-auth=false \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$RUN/sa.pub" --service-account-signing-key-file "$RUN/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --allow-privileged=false --profiling=false
  wait_ok kube-apiserver "https://127.0.0.1:$APISERVER_PORT/readyz" "$admin"
  kubeconfig spark-deploy-admin "$admin" >"$RUN/kubeconfig"
  kubeconfig system:kube-scheduler "$scheduler" >"$RUN/scheduler.kubeconfig"
  kubeconfig kwok-controller "$kwok" >"$RUN/kwok.kubeconfig"
  chmod 600 "$RUN"/*kubeconfig

  spawn kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$RUN/scheduler.kubeconfig" \
    --authentication-kubeconfig "$RUN/scheduler.kubeconfig" --authorization-kubeconfig "$RUN/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --leader-elect=false
  wait_ok kube-scheduler "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  # kwok: only nodes annotated kwok.x-k8s.io/node=fake (the tests' nodes) and their pods.
  spawn kwok "$KWOK_BIN/kwok" --kubeconfig "$RUN/kwok.kubeconfig" --config "$KWOK_BIN/stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --server-address "127.0.0.1:$KWOK_PORT" --node-ip 127.0.0.1
  wait_ok kwok "http://127.0.0.1:$KWOK_PORT/healthz"
  printf 'APISERVER_PORT=%s\nAPISERVER_URL=https://127.0.0.1:%s\nCA_FILE=%s\nKUBECONFIG=%s\nKUBECTL=%s\n' \
    "$APISERVER_PORT" "$APISERVER_PORT" "$RUN/certs/apiserver.crt" "$RUN/kubeconfig" "$BIN/kubectl" >"$RUN/env"
  log "control plane ready in $((SECONDS - t0)) s: https://127.0.0.1:$APISERVER_PORT (KUBECONFIG=$RUN/kubeconfig)"
}

cmd_status() {
  [ -f "$RUN/env" ] || { echo "not running"; return 1; }
  # shellcheck disable=SC1091
  . "$RUN/env"
  "$KUBECTL" --kubeconfig "$KUBECONFIG" get --raw /readyz >/dev/null 2>&1 || { echo "not ready"; return 1; }
  echo "ready: $APISERVER_URL"
}

cmd_stop() {
  [ -f "$RUN/pids" ] || { log "nothing to stop"; return 0; }
  local pids; pids="$(tac "$RUN/pids")"
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 40); do
    local alive=0; for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.25
  done
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$RUN/pids" "$RUN/env"
  log "stopped"
}

cmd_env() {
  [ -f "$RUN/env" ] || die "not running: $0 start"
  # shellcheck disable=SC1091
  . "$RUN/env"
  echo "export KUBECONFIG=$KUBECONFIG"
  echo "export PATH=$BIN:\$PATH"
}

# Starts the plane, runs a command with KUBECONFIG/SPARK_DEPLOY_K8S_ENV set, stops the plane, returns the command's status.
cmd_run() {
  cmd_start
  trap cmd_stop EXIT
  local rc=0
  # shellcheck disable=SC1091
  . "$RUN/env"
  KUBECONFIG="$KUBECONFIG" SPARK_DEPLOY_K8S_ENV="$RUN/env" PATH="$BIN:$PATH" "$@" || rc=$?
  return "$rc"
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  run) shift; [ "${1:-}" = "--" ] && shift; [ "$#" -gt 0 ] || die "usage: $0 run -- COMMAND..."; cmd_run "$@" ;;
  *) echo "usage: $0 build|start|stop|status|env|run -- COMMAND" >&2; exit 2 ;;
esac
