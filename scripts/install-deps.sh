#!/usr/bin/env bash
# Installs every build, test and runtime dependency from Debian 12 packages.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  clang clang-format clang-tidy libclang-rt-14-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql-15 postgresql-client-15
  libcurl4-openssl-dev libssl-dev
  nlohmann-json3-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libcpp-httplib-dev prometheus-cpp-dev libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  prometheus python3 python3-aiosmtpd procps yamllint openssl
  chromium
)

# Node.js validates the Kubernetes manifests (deploy/validate). The machine
# image usually has it; Debian's packages are the fallback.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The dashboard's npm packages (web/package-lock.json): embedded in the
# binary at build time (web/vendor.list) and used by the browser tests.
# Only when the lockfile changed: a reinstall touches every file, which
# would re-embed the dashboard and relink on every build.
web_npm() {
  local web
  web="$(dirname "$0")/../web"
  if [ -f "$web/node_modules/.package-lock.json" ] &&
     [ ! "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    return 0
  fi
  echo "install-deps: npm ci in web/"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  web_npm
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The postgresql packages try to start a cluster; tests run their own, so a
# policy-rc.d refusal (containers) is fine.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
web_npm
