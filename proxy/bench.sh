#!/usr/bin/env bash
# Runs the proxy benchmark (Kindling's proxy against Debian's websockify, loopback only) and
# rewrites the "Proxy" section of docs/BENCHMARKS.md. Needs websockify (apt-get install
# websockify); run as root so the open-file limit can be raised for 10,000 idle connections.
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/jdk.sh
JAVA_HOME="$(kindling_java_home)"
BUILD_DIR="${KINDLING_BENCH_BUILD_DIR:-target-bench}"
./mvnw -q test-compile dependency:build-classpath -pl proxy -am \
  -Dkindling.build.dir="$BUILD_DIR" -Dmdep.outputFile="$BUILD_DIR/classpath.txt" -Dmdep.includeScope=test
CP="proxy/$BUILD_DIR/test-classes:proxy/$BUILD_DIR/classes:$(cat "proxy/$BUILD_DIR/classpath.txt")"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx4g -Dkindling.repo.root="$PWD" ${KINDLING_BENCH_OPTS:-} \
  -cp "$CP" dev.kindling.proxy.bench.ProxyBenchmark
