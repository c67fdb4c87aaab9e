#!/usr/bin/env bash
# CTest entry of the dashboard's browser tests (web_e2e). Skips (exit 77)
# with the reason only when a prerequisite is missing; scripts/install-deps.sh
# installs both (apt package chromium, `npm ci` in web/), so CI runs them.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -d "$root/web/node_modules/playwright-core" ] || [ ! -f "$root/web/node_modules/axe-core/axe.min.js" ]; then
  echo "SKIP web_e2e: web/node_modules is missing; run \`npm ci\` in web/ (scripts/install-deps.sh does)"
  exit 77
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "SKIP web_e2e: /usr/bin/chromium is missing; apt-get install chromium (scripts/install-deps.sh does)"
  exit 77
fi
# The throwaway PostgreSQL cluster runs as the postgres user: its temp dir
# must be reachable by it.
export TMPDIR="${TMPDIR:-/tmp}"
exec node --test --test-reporter=spec "$root/tests/web/"
