#!/usr/bin/env bash
# Restore benchmark: restore -> RFB-ready of the current image's memory snapshot, p50 over N runs,
# raw (driver restore + readiness probe, warm and cold page cache) and through the engine
# (BrowserVm workflow start -> READY). Rewrites the "Snapshots" section of docs/BENCHMARKS.md.
#
#   sudo bench/restore.sh [--runs N] [--cold-runs N] [--resnapshot] [--compare SNAPSHOT_ID] [--doc FILE]
#
# --resnapshot runs the golden image workflow first when the current snapshot still carries the
# guest RAM inside its migration stream (taken before RAM images); --compare also measures another
# snapshot of the same image. Uses the real image cache and a temporary run directory; needs root,
# qemu-system-x86_64 and iproute2. Other VMs running at the same time skew the numbers; the section
# records how many there were.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/bench/worker-bench.sh" RestoreBench "$@"
