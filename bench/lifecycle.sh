#!/usr/bin/env bash
# Lifecycle benchmark: engine overhead (workflow start -> READY minus the VMM driver's and the
# readiness probe's own times, p50 of N restore runs), teardown time (release -> RELEASED) and
# readiness detection latency (websockify serving -> the probe notices). Prints the "Lifecycle"
# section of docs/BENCHMARKS.md as Markdown.
#
#   sudo bench/lifecycle.sh [--runs 5] [--mode restore|cold] [--latency-runs 5] [--out FILE]
#
# Needs root, qemu-system-x86_64, iproute2, websockify (for the detection latency) and a current
# image in the cache (`kindling demo` or `kindling image build` makes one). Other VMs running at
# the same time skew the numbers; the output says how many QEMU processes it saw.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/bench/worker-bench.sh" LifecycleBench "$@"
