#!/usr/bin/env bash
# Control-plane benchmark, a benchmark only: the VMM and readiness are stand-ins and no VM boots.
# Sessions per second sustained on the real Temporal dev server across three workers in one JVM
# (hosts cp-a, cp-b, cp-c: the real workflows, placement and host records, no-op host activities),
# start -> READY p50/p99 at each offered rate, and placement decision time. Prints the
# "Control plane (stand-in VMM)" section of docs/BENCHMARKS.md as Markdown.
#
#   bench/control-plane.sh [--rates 2,5,10,20,30,40,60,80] [--window 30] [--warmup 5] \
#     [--ephemeral | --state-dir DIR] [--hosts 3] [--server-log FILE] [--out FILE]
#
# The dev server keeps its state in a SQLite file (as `kindling dev` does) in a fresh directory
# under --state-dir (default: the temporary directory), or in memory with --ephemeral.
# Needs the Temporal CLI (bin/setup-host); not root, not QEMU.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/bench/worker-bench.sh" ControlPlaneBench "$@"
