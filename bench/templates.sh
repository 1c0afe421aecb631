#!/usr/bin/env bash
# Template benchmark: per built-in template, the image's size (file and used), its build time on
# the cached base (the debootstrap layer is there; the template's package layer and image are not),
# cold boot -> app visible, and restore -> app visible through the proxy (p50 of N). Rewrites the
# "Templates" section of docs/BENCHMARKS.md.
#
#   sudo bench/templates.sh [--runs N] [--templates terminal,browser] [--doc FILE]
#
# Builds and promotes each template's image first when it is missing. Uses the real image cache
# and a temporary run directory; needs root, qemu-system-x86_64, iproute2 and debootstrap. Other
# VMs running at the same time skew the numbers; the section records the load at the start.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/bench/worker-bench.sh" TemplateBench "$@"
