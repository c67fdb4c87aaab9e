#!/usr/bin/env bash
# Negative test of the manifest validation: copies of deploy/kubernetes with
# one deliberately misspelled field each must be rejected, naming the field.
# Guards validate.mjs's unknown-field check (the schemas alone ignore
# unknown fields). Needs node + npm, like run.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
manifests="${1:-$here/../kubernetes}"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
# file | sed expression | JSON pointer or name the error must mention
cases=(
  "deployment.yaml|s/^\( *\)livenessProbe:/\1livenesProbe:/|/spec/template/spec/containers/0/livenesProbe"
  "deployment.yaml|0,/periodSeconds:/s/periodSeconds:/periodSecond:/|/periodSecond"
  "deployment.yaml|s/terminationGracePeriodSeconds:/terminationGracePeriod:/|/spec/template/spec/terminationGracePeriod"
  "service.yaml|0,/targetPort:/s/targetPort:/targetPorts:/|/spec/ports/0/targetPorts"
  "podmonitor.yaml|s/podMetricsEndpoints:/podMetricEndpoints:/|/spec/podMetricEndpoints"
  "configmap.yaml|s/^data:/datas:/|/datas"
  "kustomization.yaml|s/^resources:/resource:/|resource"
)
for c in "${cases[@]}"; do
  IFS='|' read -r file expr expect <<<"$c"
  rm -rf "$tmp/m" && cp -r "$manifests" "$tmp/m"
  sed -i "$expr" "$tmp/m/$file"
  if cmp -s "$manifests/$file" "$tmp/m/$file"; then
    echo "FAIL $file: '$expr' changed nothing (the manifest changed; update this case)"
    failed=1
    continue
  fi
  if out=$(node validate.mjs "$tmp/m" 2>&1); then
    echo "FAIL $file: misspelling '$expr' was accepted"
    failed=1
  elif ! grep -q "unknown field(s).*$expect" <<<"$out"; then
    echo "FAIL $file: rejected, but without naming $expect:"
    echo "$out"
    failed=1
  else
    echo "ok   $file: rejected $expect"
  fi
done
# The unmodified manifests still pass (the check is not rejecting everything).
node validate.mjs "$manifests" >/dev/null || { echo "FAIL the original manifests are rejected"; failed=1; }
exit $failed
