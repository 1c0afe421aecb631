#!/usr/bin/env bash
# Golden-image benchmark: build times, image size, and cold boot -> RFB-ready (median of 3) for the
# QEMU machine types, through the same activity classes production uses. Writes Markdown.
#
#   sudo bench/image.sh [--cold | --no-builds] [--no-rotation-check] [--quiet-wait SECONDS] [--runs N] [--machines pc,microvm] [--vcpus 1,2] [--memory MiB]
#                       [--kernel-args "..."] [--timeline] [--out FILE]
#
# --cold adds a build from an empty cache (debootstrap; about 4 minutes here). Results go to
# FILE (default activities/<build dir>/bench-image.md) and to stdout. Needs root, qemu-system-x86_64,
# iproute2 and debootstrap, like `kindling image verify`. Other VMs running at the same time
# skew the boot numbers: each boot first waits up to --quiet-wait seconds (default 120) for other
# QEMU processes to end, and the table marks runs that still overlapped one as contended. Each
# first boot per machine also checks that a second POST /v1/secrets locks out the first password.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bin/jdk.sh"
JAVA_HOME=$(kindling_java_home)
build_dir=${KINDLING_BENCH_BUILD_DIR:-target-bench}

args=("$@")
has_out=no
for a in "$@"; do [ "$a" = "--out" ] && has_out=yes; done
if [ "$has_out" = no ]; then
  args+=(--out "$here/activities/$build_dir/bench-image.md")
fi

"$here/mvnw" -q install -Dkindling.build.dir="$build_dir" -pl workflows,host,snapshot-builder -DskipTests
"$here/mvnw" -q test-compile -Dkindling.build.dir="$build_dir" -pl activities
cp_file="$here/activities/$build_dir/bench.classpath"
"$here/mvnw" -q dependency:build-classpath -Dkindling.build.dir="$build_dir" -pl activities \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
# Kindling's own modules come from this build directory, not from the local repository, which
# parallel builds of other trees may be rewriting.
deps=$(tr ':' '\n' < "$cp_file" | grep -v '/dev/kindling/' | paste -sd: -)
classpath="$here/activities/$build_dir/test-classes:$here/activities/$build_dir/classes"
classpath="$classpath:$here/snapshot-builder/$build_dir/classes:$here/snapshot-builder/$build_dir/test-classes"
classpath="$classpath:$here/host/$build_dir/classes:$here/host/$build_dir/test-classes"
classpath="$classpath:$here/workflows/$build_dir/classes:$deps"

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dlogback.configurationFile="$here/bench/logback.xml" -cp "$classpath" \
  dev.kindling.activities.image.bench.GoldenImageBench "${args[@]}"
