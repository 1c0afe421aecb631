#!/usr/bin/env bash
# Runs one of the worker module's benchmark classes (dev.kindling.worker.bench.<CLASS>) on this
# checkout, built into its own build directory so a benchmark never runs another tree's classes.
#
#   bench/worker-bench.sh CLASS [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bin/jdk.sh"
JAVA_HOME=$(kindling_java_home)
bench=$1
shift
build_dir=${KINDLING_BENCH_BUILD_DIR:-target-bench-$(echo "$bench" | tr '[:upper:]' '[:lower:]')}

cd "$here"
./mvnw -q test-compile dependency:build-classpath -pl worker -am -Dkindling.build.dir="$build_dir" \
  -Dmdep.includeScope=test -Dmdep.outputFile="$build_dir/bench.classpath" >/dev/null
# Kindling's own modules come from this build directory, not from the local repository, which
# parallel builds of other trees may be rewriting.
deps=$(tr ':' '\n' < "worker/$build_dir/bench.classpath" | grep -v '/dev/kindling/' | paste -sd: -)
classpath="worker/$build_dir/test-classes:worker/$build_dir/classes"
for module in proxy snapshot-builder activities host workflows; do
  classpath="$classpath:$module/$build_dir/classes"
done
classpath="$classpath:activities/$build_dir/test-classes:snapshot-builder/$build_dir/test-classes:host/$build_dir/test-classes:$deps"

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlogback.configurationFile="$here/bench/logback.xml" -cp "$classpath" \
  "dev.kindling.worker.bench.$bench" "$@"
