#!/usr/bin/env bash
# Which browser the browser template runs: builds an image for each candidate (the built-in
# browser template's Chromium and bench/templates/firefox-esr) and cold-boots it once through the
# same canary readiness the golden image pipeline uses, up to the app's first non-blank frame.
# Prints each verification (its desktop stage is the browser's start-up). Nothing is promoted.
#
#   sudo bench/browser-choice.sh [--readiness-seconds N]   (default 400)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=400
if [ "${1:-}" = "--readiness-seconds" ]; then
  seconds=$2
fi
for template in browser "$here/bench/templates/firefox-esr"; do
  echo "==> $template"
  "$here/bin/kindling" image build --template "$template" --no-snapshot --no-promote \
    --set vm.readinessTimeoutSeconds="$seconds" 2>/dev/null || true
done
