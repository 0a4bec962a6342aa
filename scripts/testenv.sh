#!/usr/bin/env bash
# A real Kubernetes API server for integration tests, the way controller-runtime's
# envtest runs one: etcd + kube-apiserver on loopback, no kubelet, no controllers.
#
#   scripts/testenv.sh build          build kube-apiserver (cached) and make sure etcd is installed
#   scripts/testenv.sh start          start etcd + kube-apiserver, wait for /readyz, write a kubeconfig
#   scripts/testenv.sh stop           stop both and remove the state dir
#   scripts/testenv.sh env            print `export KUBECONFIG=...` (use: eval "$(scripts/testenv.sh env)")
#   scripts/testenv.sh gomod VERSION  regenerate test/testenv/go.mod for another k8s.io/kubernetes version
#
# Why built from source: no prebuilt binaries can be downloaded here, only Go modules.
# `go install k8s.io/kubernetes/cmd/kube-apiserver@v1.32.x` fails because kubernetes'
# go.mod replaces its staging modules (k8s.io/api, ...) with local paths, so
# test/testenv/ is a wrapper module that pins the published k8s.io/X v0.32.x instead.
#
# Environment (all optional):
#   ORGPLANE_CACHE          cache root, binaries go to $ORGPLANE_CACHE/testenv/bin  (~/.cache/orgplane)
#   TESTENV_DIR             state dir: kubeconfig, pid files, logs, etcd data       (/tmp/orgplane-testenv)
#   TESTENV_ETCD_PORT       etcd client port on 127.0.0.1                           (22379)
#   TESTENV_ETCD_PEER_PORT  etcd peer port on 127.0.0.1                             (22380)
#   TESTENV_APISERVER_PORT  kube-apiserver secure port on 127.0.0.1                 (16443)
#   TESTENV_TIMEOUT         seconds to wait for readiness                           (90)
#   GO                      go binary                        (go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
moddir="$root/test/testenv"
cache="${ORGPLANE_CACHE:-$HOME/.cache/orgplane}/testenv"
bindir="$cache/bin"
state="${TESTENV_DIR:-/tmp/orgplane-testenv}"
etcd_port="${TESTENV_ETCD_PORT:-22379}"
etcd_peer_port="${TESTENV_ETCD_PEER_PORT:-22380}"
api_port="${TESTENV_APISERVER_PORT:-16443}"
timeout="${TESTENV_TIMEOUT:-90}"

log() { echo "testenv: $*" >&2; }
die() { log "error: $*"; exit 1; }

go_bin() {
  if [[ -n "${GO:-}" ]]; then echo "$GO"
  elif command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
  else die "no Go toolchain found (set GO=/path/to/go)"
  fi
}

# The kubernetes version is whatever test/testenv/go.mod pins; it keys the cached binary.
k8s_version() {
  local v
  v=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }
           $1 == "require" && $2 == "k8s.io/kubernetes" { print $3; exit }' "$moddir/go.mod")
  [[ -n "$v" ]] || die "cannot find k8s.io/kubernetes in $moddir/go.mod"
  echo "$v"
}

apiserver_bin() { echo "$bindir/kube-apiserver-$(k8s_version)"; }

# etcd comes from Debian (etcd-server, 3.4.x: supported by k8s 1.32). We run as root here.
ensure_etcd() {
  command -v etcd >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "etcd not found and no apt-get to install it"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  log "installing etcd-server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when they don't know etcd-server yet.
  if ! apt-cache show etcd-server >/dev/null 2>&1; then
    $sudo apt-get update -qq
  fi
  # The package's postinst tries to start a system etcd service on :2379; that is harmless
  # (our etcd uses other ports) and is refused anyway where there is no init system.
  $sudo apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  command -v etcd >/dev/null 2>&1 || die "etcd still not found after installing etcd-server"
}

cmd_build() {
  ensure_etcd
  local bin version
  bin=$(apiserver_bin)
  version=$(k8s_version)
  if [[ -x "$bin" ]]; then
    return 0
  fi
  local go
  go=$(go_bin)
  mkdir -p "$bindir"
  log "building kube-apiserver $version into $bin (first time only; ~15 min on 2 cores)"
  # Version stamps as kubernetes' hack/lib/version.sh sets them, so /version and kubectl's
  # skew check see the real version instead of v0.0.0-master.
  local ldflags="-s -w" pkg major minor
  major=${version#v}; major=${major%%.*}
  minor=${version#v"$major".}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  # GOTOOLCHAIN=local: use the installed Go, never download one. -mod=readonly: go.mod/go.sum
  # are committed and complete; a build must not rewrite them. CGO off like upstream builds.
  (
    cd "$moddir"
    GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
      "$go" build -trimpath -ldflags "$ldflags" -o "$bin.tmp.$$" k8s.io/kubernetes/cmd/kube-apiserver
  ) || { rm -f "$bin.tmp.$$"; die "kube-apiserver build failed"; }
  mv -f "$bin.tmp.$$" "$bin"   # atomic: a half-written binary never looks cached
  log "built $bin"
}

# True when $1 is a live process whose command line mentions $2 (guards against reused pids).
alive() {
  local pidfile=$1 name=$2 pid
  [[ -f "$pidfile" ]] || return 1
  pid=$(cat "$pidfile")
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  [[ "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" == *"$name"* ]]
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

readyz() {
  curl -sf --max-time 5 --cacert "$state/pki/ca.crt" -H "Authorization: Bearer $(cat "$state/token")" \
    "https://127.0.0.1:$api_port$1" 2>/dev/null
}

fail_with_logs() {
  log "error: $*"
  local f
  for f in "$state/etcd.log" "$state/kube-apiserver.log"; do
    [[ -f "$f" ]] || continue
    echo "----- tail of $f -----" >&2
    tail -n 40 "$f" >&2
  done
  kill_all
  exit 1
}

cmd_start() {
  if alive "$state/etcd.pid" etcd && alive "$state/kube-apiserver.pid" kube-apiserver \
     && [[ "$(readyz /readyz || true)" == ok ]]; then
    log "already running (KUBECONFIG=$state/kubeconfig); use 'stop' first for a fresh one"
    return 0
  fi
  # Leftovers of a crashed or half-started run: clear them before starting fresh.
  kill_all
  rm -rf "$state"

  command -v curl >/dev/null 2>&1 || die "curl is needed"
  command -v openssl >/dev/null 2>&1 || die "openssl is needed"
  cmd_build
  local p
  for p in "$etcd_port" "$etcd_peer_port" "$api_port"; do
    port_in_use "$p" && die "port $p on 127.0.0.1 is in use (override with TESTENV_*_PORT)"
  done

  mkdir -p "$state/pki" "$state/etcd-data" "$state/cert-dir"
  chmod 700 "$state"

  # Credentials: a CA and a serving cert for 127.0.0.1/localhost (so clients can verify TLS),
  # the service-account signing key pair the apiserver requires, and an admin bearer token
  # in group system:masters (which RBAC always allows everything).
  local pki="$state/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=orgplane-testenv-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$pki/apiserver.ext"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 3650 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  openssl rand -hex 32 > "$state/token"
  echo "$(cat "$state/token"),testenv-admin,testenv-admin,system:masters" > "$state/tokens.csv"

  # etcd: single member, everything on loopback and off the default 2379/2380.
  setsid nohup etcd \
    --name=testenv \
    --logger=zap --log-outputs=stderr \
    --data-dir="$state/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="testenv=http://127.0.0.1:$etcd_peer_port" \
    > "$state/etcd.log" 2>&1 < /dev/null &
  echo $! > "$state/etcd.pid"

  local i
  for ((i = 0; i < 30; i++)); do
    curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q '"health":"true"' && break
    alive "$state/etcd.pid" etcd || fail_with_logs "etcd exited"
    sleep 1
  done
  ((i < 30)) || fail_with_logs "etcd not healthy after 30s"

  # kube-apiserver with envtest-like flags. Notes:
  #  --advertise-address: otherwise it looks for a non-loopback interface with a default route.
  #  --disable-admission-plugins=ServiceAccount: no controller-manager runs to create the
  #    default ServiceAccounts, so pods would be rejected without it.
  #  --endpoint-reconciler-type=none: the default/kubernetes Endpoints may not hold a
  #    loopback IP; nothing here needs in-cluster service discovery.
  setsid nohup "$(apiserver_bin)" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --cert-dir="$state/cert-dir" \
    --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --secure-port="$api_port" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --service-cluster-ip-range=10.0.0.0/24 \
    --service-account-issuer=https://localhost \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --authorization-mode=RBAC \
    --token-auth-file="$state/tokens.csv" \
    --allow-privileged=true \
    --disable-admission-plugins=ServiceAccount \
    --endpoint-reconciler-type=none \
    > "$state/kube-apiserver.log" 2>&1 < /dev/null &
  echo $! > "$state/kube-apiserver.pid"

  # Admin kubeconfig: token auth, TLS verified against our CA.
  cat > "$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: testenv-admin
  user:
    token: $(cat "$state/token")
contexts:
- name: testenv
  context:
    cluster: testenv
    user: testenv-admin
    namespace: default
current-context: testenv
EOF
  chmod 600 "$state/kubeconfig"

  # Ready = /readyz says ok and the bootstrap namespace "default" exists (it is created by
  # a post-start hook shortly after; tests creating objects right away would race it).
  local deadline=$((SECONDS + timeout))
  until [[ "$(readyz /readyz || true)" == ok ]] && readyz /api/v1/namespaces/default >/dev/null; do
    alive "$state/kube-apiserver.pid" kube-apiserver || fail_with_logs "kube-apiserver exited"
    alive "$state/etcd.pid" etcd || fail_with_logs "etcd exited"
    ((SECONDS < deadline)) || fail_with_logs "kube-apiserver not ready after ${timeout}s"
    sleep 1
  done
  log "ready: https://127.0.0.1:$api_port  KUBECONFIG=$state/kubeconfig"
}

# Stop the processes named in the pid files: TERM, then KILL after 10s.
kill_all() {
  local name pid i
  for name in kube-apiserver etcd; do
    alive "$state/$name.pid" "$name" || continue
    pid=$(cat "$state/$name.pid")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive "$state/$name.pid" "$name" || break
      sleep 0.1
    done
    if alive "$state/$name.pid" "$name"; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  return 0
}

cmd_stop() {
  kill_all
  rm -rf "$state"
}

cmd_env() {
  [[ -f "$state/kubeconfig" ]] || die "not started ($state/kubeconfig missing)"
  printf 'export KUBECONFIG=%q\n' "$state/kubeconfig"
}

# Maintenance: point the wrapper module at another kubernetes release. Every staging module
# that kubernetes' go.mod replaces with ./staging/src/k8s.io/X is replaced by the published
# k8s.io/X v0.MINOR.PATCH. Some of them (e.g. kube-proxy, csi-translation-lib) are not on the
# module proxy for every patch; kube-apiserver doesn't import them, so they are left out, and
# `go mod tidy -e` tolerates the test-only imports that would need them.
cmd_gomod() {
  local version=${1:?usage: testenv.sh gomod v1.32.N} go modfile staging m avail=()
  go=$(go_bin)
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  modfile=$("$go" mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f "$modfile" ]] || die "could not download k8s.io/kubernetes@$version"
  staging="v0.${version#v1.}"
  while read -r m; do
    if "$go" list -m "$m@$staging" >/dev/null 2>&1; then avail+=("$m"); else log "skipping $m@$staging (not on the proxy)"; fi
  done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$modfile")
  {
    echo "// Wrapper module that builds kube-apiserver for scripts/testenv.sh. Generated by"
    echo "// \`scripts/testenv.sh gomod $version\`; see there."
    echo "module orgplane.local/testenv"
    echo
    sed -n 's/^go \(.*\)/go \1/p; s/^godebug \(.*\)/godebug \1/p' "$modfile" | sed 'G'
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    for m in "${avail[@]}"; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
    echo ")"
  } > "$moddir/go.mod"
  rm -f "$moddir/go.sum"
  (cd "$moddir" && "$go" mod tidy -e)
  log "wrote $moddir/go.mod for $version"
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  gomod) shift; cmd_gomod "$@" ;;
  *) echo "usage: $0 {build|start|stop|env|gomod VERSION}" >&2; exit 2 ;;
esac
