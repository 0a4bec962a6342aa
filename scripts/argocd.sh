#!/usr/bin/env bash
# Argo CD for the e2e suite, built from the Go module proxy like scripts/testenv.sh builds
# kube-apiserver: no container images, no kubelet. The multi-call `argocd` binary dispatches
# on its own name (argocd-application-controller, argocd-repo-server, argocd), so one build
# gives us the controller, the repo-server and the CLI (`argocd admin settings
# resource-overrides health`, which runs health Lua in Argo CD's own runtime, offline).
#
#   scripts/argocd.sh build          build the argocd binary (cached) + make sure redis-server and git exist
#   scripts/argocd.sh start          start redis + git daemon + repo-server + application-controller
#                                    against the kube-apiserver in $KUBECONFIG (scripts/testenv.sh start)
#   scripts/argocd.sh stop           stop them and remove the state dir
#   scripts/argocd.sh bin            print the path of the cached argocd binary
#   scripts/argocd.sh crds           print the path of Argo CD's CRDs (from the same module)
#   scripts/argocd.sh gomod VERSION  regenerate test/argocd/go.mod for another argo-cd/v3 version
#
# The version is whatever test/argocd/go.mod pins; it keys the cached binary.
#
# Environment (all optional):
#   ORGPLANE_CACHE          cache root; the binary goes to $ORGPLANE_CACHE/argocd/    (~/.cache/orgplane)
#   ARGOCD_DIR              state dir: pids, logs, redis data, the git repo          (/tmp/orgplane-argocd)
#   ARGOCD_REPO_SRC         directory whose manifests/ is committed to the served repo (the checkout)
#   ARGOCD_REDIS_PORT       redis port on 127.0.0.1                                  (26379)
#   ARGOCD_REPO_PORT        repo-server gRPC port on 127.0.0.1                       (28081)
#   ARGOCD_GIT_PORT         git daemon port on 127.0.0.1                             (29418)
#   ARGOCD_METRICS_PORT     application-controller metrics port                      (28082)
#   ARGOCD_REPO_METRICS_PORT repo-server metrics port                                (28084)
#   ARGOCD_NAMESPACE        namespace Argo CD runs in (Applications live there)      (argocd)
#   GO                      go binary                        (go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
moddir="$root/test/argocd"
cache="${ORGPLANE_CACHE:-$HOME/.cache/orgplane}/argocd"
state="${ARGOCD_DIR:-/tmp/orgplane-argocd}"
repo_src="${ARGOCD_REPO_SRC:-$root}"
redis_port="${ARGOCD_REDIS_PORT:-26379}"
repo_port="${ARGOCD_REPO_PORT:-28081}"
git_port="${ARGOCD_GIT_PORT:-29418}"
metrics_port="${ARGOCD_METRICS_PORT:-28082}"
repo_metrics_port="${ARGOCD_REPO_METRICS_PORT:-28084}"
namespace="${ARGOCD_NAMESPACE:-argocd}"

log() { echo "argocd: $*" >&2; }
die() { log "error: $*"; exit 1; }

go_bin() {
  if [[ -n "${GO:-}" ]]; then echo "$GO"
  elif command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
  else die "no Go toolchain found (set GO=/path/to/go)"
  fi
}

argocd_version() {
  local v
  v=$(awk '$1 == "github.com/argoproj/argo-cd/v3" && $2 ~ /^v/ { print $2; exit }
           $1 == "require" && $2 == "github.com/argoproj/argo-cd/v3" { print $3; exit }' "$moddir/go.mod")
  [[ -n "$v" ]] || die "cannot find github.com/argoproj/argo-cd/v3 in $moddir/go.mod"
  echo "$v"
}

argocd_bin() { echo "$cache/$(argocd_version)/argocd"; }

# The module's source directory in the module cache (downloaded by the build or on demand).
module_dir() {
  local go dir
  go=$(go_bin)
  dir=$(cd "$moddir" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly" "$go" list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3 2>/dev/null || true)
  if [[ -z "$dir" || ! -d "$dir" ]]; then
    (cd "$moddir" && GOTOOLCHAIN=local "$go" mod download github.com/argoproj/argo-cd/v3) >&2
    dir=$(cd "$moddir" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly" "$go" list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
  fi
  [[ -d "$dir/manifests/crds" ]] || die "no manifests/crds in $dir"
  echo "$dir"
}

apt_install() {
  local pkg=$1 cmd=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "$cmd not found and no apt-get to install $pkg"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  log "installing $pkg with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show "$pkg" >/dev/null 2>&1; then
    $sudo apt-get update -qq
  fi
  # redis-server's postinst may try to start a system redis on :6379; ours uses another port.
  $sudo apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd still not found after installing $pkg"
}

cmd_build() {
  apt_install redis-server redis-server
  apt_install git git
  local bin version go
  bin=$(argocd_bin)
  version=$(argocd_version)
  [[ -x "$bin" ]] && return 0
  go=$(go_bin)
  mkdir -p "$(dirname "$bin")"
  log "building argocd $version into $bin (first time only; see docs/notes/argocd.md for times)"
  local ldflags="-s -w" pkg=github.com/argoproj/argo-cd/v3/common
  ldflags+=" -X $pkg.version=${version#v} -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X $pkg.gitTreeState=clean"
  (
    cd "$moddir"
    GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
      "$go" build -trimpath -ldflags "$ldflags" -o "$bin.tmp.$$" github.com/argoproj/argo-cd/v3/cmd
  ) || { rm -f "$bin.tmp.$$"; die "argocd build failed"; }
  mv -f "$bin.tmp.$$" "$bin"
  log "built $bin"
}

# Maintenance: point the wrapper module at another argo-cd/v3 release, repeating its replace block.
cmd_gomod() {
  local version=${1:?usage: argocd.sh gomod v3.2.N} go modfile
  go=$(go_bin)
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  modfile=$("$go" mod download -json "github.com/argoproj/argo-cd/v3@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f "$modfile" ]] || die "could not download github.com/argoproj/argo-cd/v3@$version"
  {
    echo "// Wrapper module that builds the multi-call argocd binary for scripts/argocd.sh."
    echo "// Generated by \`scripts/argocd.sh gomod $version\`; see there."
    echo "module orgplane.local/argocd"
    echo
    sed -n 's/^go \(.*\)/go \1/p; s/^godebug \(.*\)/godebug \1/p' "$modfile" | sed 'G'
    echo "require github.com/argoproj/argo-cd/v3 $version"
    echo
    # argo-cd's replace directives, verbatim (a dependency's replaces do not apply to us).
    sed -n '/^replace (/,/^)/p' "$modfile" | grep -v '^[[:space:]]*//' | grep -v '^[[:space:]]*$'
    sed -n '/^replace [^(]/p' "$modfile"
  } > "$moddir/go.mod"
  rm -f "$moddir/go.sum"
  (cd "$moddir" && "$go" mod tidy -e)
  log "wrote $moddir/go.mod for $version"
}

case "${1:-}" in
  build) cmd_build ;;
  bin) echo "$(argocd_bin)" ;;
  crds) echo "$(module_dir)/manifests/crds" ;;
  gomod) shift; cmd_gomod "$@" ;;
  start|stop) "cmd_$1" ;;
  *) echo "usage: $0 {build|start|stop|bin|crds|gomod VERSION}" >&2; exit 2 ;;
esac
