#!/usr/bin/env bash
# `make run`: orgplane's main job on its embedded default. Starts a local AWS emulator (moto) on a
# free loopback port, gives it an empty organization, shows the plan for an example, applies it,
# prints the resulting org tree, proves a second plan is a no-op, and stops the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
example="${1:-manifests/examples/securecart}"
[[ -n "$example" ]] || example=manifests/examples/securecart
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
endpoint="http://127.0.0.1:$port"
log=$(mktemp -t orgplane-moto.XXXXXX.log)
MOTO_IAM_LOAD_MANAGED_POLICIES=true .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; wait $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$endpoint/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done

export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$endpoint"
orgplane() { node --import tsx controller/cli/main.ts "$@"; }

echo "== local AWS emulator (moto) at $endpoint, with an empty organization"
node --import tsx scripts/emulator-org.ts
echo
echo "== orgplane plan -f $example"
orgplane plan -f "$example" || [[ $? -eq 2 ]]
echo
echo "== orgplane apply --auto-approve -f $example"
orgplane apply --auto-approve -f "$example"
echo
echo "== orgplane plan -f $example   (second run: must be a no-op)"
orgplane plan -f "$example"
