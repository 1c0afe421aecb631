#!/usr/bin/env bash
# Warm-pool benchmark: start request -> READY of sessions that claim a ready pool VM (N sequential
# sessions, the pool refilled before each), the first framebuffer through the proxy after READY,
# the refill time, and RSS/PSS of idle pool VMs. Prints the "Warm pool" section of
# docs/BENCHMARKS.md as Markdown.
#
#   sudo bench/pool.sh [--runs 20] [--warmup 2] [--template terminal] [--out FILE]
#
# Needs root, qemu-system-x86_64, iproute2, the Temporal CLI (bin/setup-host) and the template's
# current image with its snapshot in the cache (`kindling image build --template terminal`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/bench/worker-bench.sh" PoolBench "$@"
