#!/usr/bin/env bash
# Offline validation of deploy/kubernetes: yamllint (syntax and style), then
# every object against the Kubernetes schemas (validate.mjs). Exit 0 only if
# both pass. Needs yamllint (Debian) and node + npm (registry for npm ci).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
manifests="${1:-$here/../kubernetes}"

command -v yamllint >/dev/null || { echo "run.sh: yamllint not installed (scripts/install-deps.sh)" >&2; exit 1; }
yamllint --strict -c "$here/yamllint.yaml" "$manifests"

cd "$here"
# npm ci installs exactly what package-lock.json pins (from the npm registry).
npm ci --no-audit --no-fund --loglevel=error
node validate.mjs "$manifests"
