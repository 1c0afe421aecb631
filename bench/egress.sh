#!/usr/bin/env bash
# Egress proxy benchmark: throughput through a CONNECT tunnel (both directions), added latency per
# round trip and per plain-HTTP request, and memory and threads per idle tunnel, each against a
# direct connection in the same run. The proxy runs in a JVM of its own, listening inside a fresh
# network namespace as it does for a VM; every server is on the host's 127.0.0.1. Prints the
# "Egress proxy" section of docs/BENCHMARKS.md as Markdown.
#
#   sudo bench/egress.sh [--runs 5] [--warmup 1] [--mib 1024] [--round-trips 20000]
#                        [--requests 2000] [--idle 2000] [--out FILE] [--samples DIR]
#
# Needs root (network namespaces). Each idle tunnel is two sockets in the proxy's JVM and two in
# the benchmark's; the open-file limit is raised to its hard limit, and --idle is lowered to fit
# it (the output says so).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bin/jdk.sh"
JAVA_HOME=$(kindling_java_home)
build_dir=${KINDLING_BENCH_BUILD_DIR:-target-egressbench}

cd "$here"
./mvnw -q -B -o test-compile dependency:build-classpath -pl activities -am \
  -Dkindling.build.dir="$build_dir" -Dmdep.includeScope=test \
  -Dmdep.outputFile="$build_dir/bench.classpath" >/dev/null
# Kindling's own modules come from this build directory, not from the local repository, which
# parallel builds of other trees may be rewriting.
deps=$(tr ':' '\n' < "activities/$build_dir/bench.classpath" | grep -v '/dev/kindling/' | paste -sd: -)
classpath="activities/$build_dir/test-classes:activities/$build_dir/classes"
for module in snapshot-builder host workflows; do
  classpath="$classpath:$module/$build_dir/classes:$module/$build_dir/test-classes"
done
classpath="$classpath:$deps"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -Dlogback.configurationFile="$here/bench/logback.xml" -cp "$classpath" \
  dev.kindling.activities.egress.bench.EgressBench "$@"
