#!/usr/bin/env bash
# Validates the Prometheus alerting rules: yamllint, `promtool check rules`,
# then `promtool test rules` (each alert fires on the series that should
# trigger it and stays quiet near its threshold). Needs promtool (Debian
# package prometheus) and yamllint; scripts/install-deps.sh installs both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for tool in promtool yamllint; do
  command -v "$tool" >/dev/null || { echo "check.sh: $tool not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
yamllint --strict -c "$here/../validate/yamllint.yaml" "$here"
promtool check rules "$here/steward-rules.yaml"
cd "$here"  # rule_files in the test are relative to it
promtool test rules steward-rules.test.yaml
