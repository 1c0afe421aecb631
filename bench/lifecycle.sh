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
. "$here/bin/jdk.sh"
JAVA_HOME=$(kindling_java_home)
build_dir=${KINDLING_BENCH_BUILD_DIR:-target-lifecycle-bench}

cd "$here"
./mvnw -q test-compile dependency:build-classpath -pl worker -am -Dkindling.build.dir="$build_dir" \
  -Dmdep.includeScope=test -Dmdep.outputFile="$build_dir/bench.classpath" >/dev/null
# Kindling's own modules come from this build directory, not from the local repository, which
# parallel builds of other trees may be rewriting.
deps=$(tr ':' '\n' < "worker/$build_dir/bench.classpath" | grep -v '/dev/kindling/' | paste -sd: -)
classpath="worker/$build_dir/test-classes:worker/$build_dir/classes"
for module in proxy snapshot-builder activities workflows; do
  classpath="$classpath:$module/$build_dir/classes"
done
classpath="$classpath:activities/$build_dir/test-classes:$deps"

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlogback.configurationFile="$here/bench/logback.xml" -cp "$classpath" \
  dev.kindling.worker.bench.LifecycleBench "$@"
