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
. "$here/bin/jdk.sh"
JAVA_HOME=$(kindling_java_home)
build_dir=${KINDLING_BENCH_BUILD_DIR:-target-bench-restore}

args=("$@")
has_doc=no
for a in "$@"; do [ "$a" = "--doc" ] && has_doc=yes; done
if [ "$has_doc" = no ]; then
  args+=(--doc "$here/docs/BENCHMARKS.md")
fi

modules=workflows,activities,snapshot-builder,proxy
"$here/mvnw" -q install -Dkindling.build.dir="$build_dir" -pl "$modules" -DskipTests
"$here/mvnw" -q test-compile -Dkindling.build.dir="$build_dir" -pl worker
cp_file="$here/worker/$build_dir/bench.classpath"
"$here/mvnw" -q dependency:build-classpath -Dkindling.build.dir="$build_dir" -pl worker \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
# Kindling's own modules come from this build directory, not from the local repository, which
# parallel builds of other trees may be rewriting.
deps=$(tr ':' '\n' < "$cp_file" | grep -v '/dev/kindling/' | paste -sd: -)
classpath="$here/worker/$build_dir/test-classes:$here/worker/$build_dir/classes"
for m in ${modules//,/ }; do
  classpath="$classpath:$here/$m/$build_dir/classes"
done
classpath="$classpath:$here/activities/$build_dir/test-classes:$deps"

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$classpath" \
  dev.kindling.worker.bench.RestoreBench "${args[@]}"
