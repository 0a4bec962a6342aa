#!/usr/bin/env bash
# Creates the project-local Python venv with moto[server] (the AWS emulator) when missing.
# Idempotent: a second run only checks the version file.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="${ORGPLANE_VENV:-$here/.venv}"
want="moto[server]==5.2.5"
if [[ -x "$venv/bin/moto_server" && "$(cat "$venv/.orgplane-moto" 2>/dev/null)" == "$want" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$want"
echo "$want" > "$venv/.orgplane-moto"
