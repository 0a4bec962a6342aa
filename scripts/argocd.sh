#!/usr/bin/env bash
# Argo CD for the e2e suite, built from the Go module proxy like scripts/testenv.sh builds
# kube-apiserver: no container images, no kubelet. The multi-call `argocd` binary dispatches
# on its own name (argocd-application-controller, argocd-repo-server, argocd), so one build
# gives us the controller, the repo-server and the CLI (`argocd admin settings
# resource-overrides health`, which runs health Lua in Argo CD's own runtime, offline).
#
#   scripts/argocd.sh build          build the argocd binary and kustomize (cached) + make sure redis-server and git exist
#   scripts/argocd.sh start          start redis + git daemon + repo-server + application-controller
#                                    against the kube-apiserver in $KUBECONFIG (scripts/testenv.sh start)
#   scripts/argocd.sh stop           stop them and remove the state dir
#   scripts/argocd.sh repo-url       print the loopback git URL of the served repository
#   scripts/argocd.sh bin            print the path of the cached argocd binary
#   scripts/argocd.sh crds           print the path of Argo CD's CRDs (from the same module)
#   scripts/argocd.sh gomod VERSION [KUSTOMIZE_VERSION]
#                                    regenerate test/argocd/go.mod for another argo-cd/v3 version
#
# Versions: v3.2.12, the newest v3.2.x on the proxy, does not compile (its controller/cache/info.go
# calls settings.ValidateExternalURL, which the release does not contain); v3.2.11 builds.
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
  build_kustomize
  [[ -x "$bin" ]] && return 0
  go=$(go_bin)
  mkdir -p "$(dirname "$bin")"
  log "building argocd $version into $bin (first time only; see docs/argocd.md for times)"
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

# kustomize for the repo-server (Argo CD's images bundle it; it runs `kustomize build`), from
# the same module graph: test/argocd/go.mod pins the release whose kustomize/api Argo CD requires.
build_kustomize() {
  local out go
  out="$(dirname "$(argocd_bin)")/kustomize"
  [[ -x "$out" ]] && return 0
  go=$(go_bin)
  log "building kustomize into $out"
  (
    cd "$moddir"
    GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
      "$go" build -trimpath -ldflags "-s -w" -o "$out.tmp.$$" sigs.k8s.io/kustomize/kustomize/v5
  ) || { rm -f "$out.tmp.$$"; die "kustomize build failed"; }
  mv -f "$out.tmp.$$" "$out"
}

# True when $1 is a live process whose command line mentions $2 (guards against reused pids).
alive() {
  local pidfile=$1 name=$2 pid
  [[ -f "$pidfile" ]] || return 1
  pid=$(cat "$pidfile")
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  # `git daemon` runs as "git daemon ...": match on "daemon" for it.
  [[ "$name" == git-daemon ]] && name=daemon
  [[ "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" == *"$name"* ]]
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fail_with_logs() {
  log "error: $*"
  local f
  for f in "$state"/*.log; do
    [[ -f "$f" ]] || continue
    echo "----- tail of $f -----" >&2
    tail -n 30 "$f" >&2
  done
  kill_all
  exit 1
}

wait_port() {
  local port=$1 name=$2 i
  for ((i = 0; i < 600; i++)); do
    port_in_use "$port" && return 0
    # kill -0, not alive(): right after the fork the child's command line is still this script's.
    kill -0 "$(cat "$state/$name.pid")" 2>/dev/null || fail_with_logs "$name exited"
    sleep 0.1
  done
  fail_with_logs "$name did not listen on 127.0.0.1:$port within 60s"
}

repo_url() { echo "git://127.0.0.1:$git_port/orgplane.git"; }

# Starts everything in the background (setsid, like scripts/testenv.sh) and returns when the
# application-controller runs. Needs KUBECONFIG pointing at a cluster admin (scripts/testenv.sh).
cmd_start() {
  [[ -n "${KUBECONFIG:-}" && -f "$KUBECONFIG" ]] || die "KUBECONFIG must name a kubeconfig (eval \"\$(scripts/testenv.sh env)\")"
  if alive "$state/argocd-application-controller.pid" argocd-application-controller \
     && alive "$state/argocd-repo-server.pid" argocd-repo-server; then
    log "already running (repo $(repo_url)); use 'stop' first for a fresh one"
    return 0
  fi
  kill_all
  rm -rf "$state"
  cmd_build
  local bin kubectl mods p
  bin=$(argocd_bin)
  kubectl=${KUBECTL:-kubectl}
  for p in "$redis_port" "$repo_port" "$git_port" "$metrics_port" "$repo_metrics_port"; do
    port_in_use "$p" && die "port $p on 127.0.0.1 is in use (override with ARGOCD_*_PORT)"
  done
  mkdir -p "$state/bin" "$state/redis" "$state/git" "$state/tmp"
  # The multi-call binary picks what to run from its own name.
  for p in argocd argocd-application-controller argocd-repo-server; do ln -sf "$bin" "$state/bin/$p"; done
  ln -sf "$(dirname "$bin")/kustomize" "$state/bin/kustomize"

  # Argo CD's CRDs and its stock config (argocd-cm with the default ignoreResourceUpdates,
  # argocd-secret, argocd-rbac-cm, ...) from the same module, then orgplane's argocd-cm patch:
  # the same command the README gives for a real install.
  mods=$(module_dir)/manifests
  "$kubectl" apply --server-side -f "$mods/crds/application-crd.yaml" -f "$mods/crds/appproject-crd.yaml" >/dev/null
  "$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
  "$kubectl" apply -n "$namespace" -k "$mods/base/config" >/dev/null
  "$kubectl" -n "$namespace" patch configmap argocd-cm --type merge --patch-file "$root/manifests/argocd/argocd-cm-patch.yaml" >/dev/null
  "$kubectl" wait --for condition=established --timeout=60s crd/applications.argoproj.io crd/appprojects.argoproj.io >/dev/null
  # argocd-server normally creates the "default" AppProject; there is no argocd-server here.
  printf '%s\n' 'apiVersion: argoproj.io/v1alpha1' 'kind: AppProject' 'metadata: { name: default }' \
    'spec:' "  sourceRepos: ['*']" "  destinations: [{ server: '*', namespace: '*' }]" \
    "  clusterResourceWhitelist: [{ group: '*', kind: '*' }]" | "$kubectl" apply -n "$namespace" -f - >/dev/null

  # The git repository Argo CD syncs from, served read-only by git daemon on loopback (push
  # to the bare repository by path: git push $state/git/orgplane.git).
  git init -q --bare -b main "$state/git/orgplane.git"
  touch "$state/git/orgplane.git/git-daemon-export-ok"
  seed_repo
  setsid nohup git daemon --reuseaddr --listen=127.0.0.1 --port="$git_port" \
    --base-path="$state/git" --export-all --verbose "$state/git" \
    > "$state/git-daemon.log" 2>&1 < /dev/null &
  echo $! > "$state/git-daemon.pid"
  wait_port "$git_port" git-daemon

  setsid nohup redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --dir "$state/redis" > "$state/redis-server.log" 2>&1 < /dev/null &
  echo $! > "$state/redis-server.pid"
  wait_port "$redis_port" redis-server

  # No TLS between the two on loopback; GPG verification off (no gpg keyring here).
  # ARGOCD_FAKE_IN_CLUSTER: the in-cluster destination (https://kubernetes.default.svc) uses
  # $KUBECONFIG instead of a pod's service account, as in Argo CD's own `make start-local`.
  export ARGOCD_GPG_ENABLED=false TMPDIR="$state/tmp" ARGOCD_FAKE_IN_CLUSTER=true KUBECONFIG
  export PATH="$state/bin:$PATH"
  setsid nohup "$state/bin/argocd-repo-server" \
    --address 127.0.0.1 --port "$repo_port" --metrics-address 127.0.0.1 --metrics-port "$repo_metrics_port" \
    --disable-tls --redis "127.0.0.1:$redis_port" --loglevel info \
    > "$state/argocd-repo-server.log" 2>&1 < /dev/null &
  echo $! > "$state/argocd-repo-server.pid"
  wait_port "$repo_port" argocd-repo-server

  # --persist-resource-health: keep each resource's health in the Application's status.resources
  # (off by default since Argo CD 3.0, which keeps it in redis for the UI/API only), so kubectl
  # alone shows Argo CD's verdict per resource.
  # Resync every ${ARGOCD_APP_RESYNC:-15}s instead of 120s + jitter, so nothing waits minutes
  # for a git poll; the argocd.argoproj.io/refresh annotation (what a git webhook does)
  # refreshes at once.
  setsid nohup "$state/bin/argocd-application-controller" \
    --kubeconfig "$KUBECONFIG" --namespace "$namespace" \
    --repo-server "127.0.0.1:$repo_port" --repo-server-plaintext \
    --redis "127.0.0.1:$redis_port" --metrics-port "$metrics_port" \
    --app-resync "${ARGOCD_APP_RESYNC:-15}" --app-resync-jitter 0 \
    --self-heal-timeout-seconds 2 --persist-resource-health --loglevel info \
    > "$state/argocd-application-controller.log" 2>&1 < /dev/null &
  echo $! > "$state/argocd-application-controller.pid"
  wait_port "$metrics_port" argocd-application-controller
  log "ready: repo $(repo_url) (push to $state/git/orgplane.git), namespace $namespace, logs in $state"
}

# The served repository starts as this checkout's manifests/ and crds/ (what the Applications
# reference), with the Applications' repoURL pointed at the loopback git daemon instead of
# GitHub, the way a user points them at their own fork.
seed_repo() {
  local work="$state/seed" f
  git clone -q "$state/git/orgplane.git" "$work" 2>/dev/null
  cp -r "$repo_src/manifests" "$repo_src/crds" "$work/"
  while read -r f; do
    sed -i "s#https://github.com/orgplane/orgplane.git#$(repo_url)#g" "$f"
  done < <(grep -rl 'https://github.com/orgplane/orgplane.git' "$work/manifests")
  git -C "$work" add -A
  git -C "$work" -c user.name=orgplane-e2e -c user.email=e2e@orgplane.invalid commit -qm "manifests and crds from $repo_src"
  git -C "$work" push -q origin HEAD:main
  rm -rf "$work"
}

kill_all() {
  local name pid i
  for name in argocd-application-controller argocd-repo-server redis-server git-daemon; do
    alive "$state/$name.pid" "$name" || continue
    pid=$(cat "$state/$name.pid")
    # setsid made each its own process group: git daemon forks a child per connection.
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive "$state/$name.pid" "$name" || break
      sleep 0.1
    done
    if alive "$state/$name.pid" "$name"; then kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true; fi
  done
  return 0
}

cmd_stop() {
  kill_all
  rm -rf "$state"
}

# Maintenance: point the wrapper module at another argo-cd/v3 release, repeating its replace block.
cmd_gomod() {
  local version=${1:?usage: argocd.sh gomod v3.2.N [KUSTOMIZE_VERSION]} go modfile
  # The kustomize release built for the repo-server: pick the one whose sigs.k8s.io/kustomize/api
  # matches argo-cd's go.mod (v5.7.1 <-> api v0.20.1 for argo-cd v3.2.x).
  local kustomize_version=${2:-v5.7.1}
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
    echo "require ("
    printf '\tgithub.com/argoproj/argo-cd/v3 %s\n' "$version"
    printf '\tsigs.k8s.io/kustomize/kustomize/v5 %s\n' "$kustomize_version"
    echo ")"
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
  repo-url) repo_url ;;
  *) echo "usage: $0 {build|start|stop|repo-url|bin|crds|gomod VERSION}" >&2; exit 2 ;;
esac
