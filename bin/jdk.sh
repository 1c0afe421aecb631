# The one place that chooses Kindling's JDK: the newest Temurin under /usr/lib/jvm
# (override with KINDLING_JAVA_HOME). Sourced by ./mvnw and bin/kindling.
kindling_java_home() {
  if [ -n "${KINDLING_JAVA_HOME:-}" ]; then echo "$KINDLING_JAVA_HOME"; return 0; fi
  local best
  best=$(ls -d /usr/lib/jvm/temurin-*-jdk* 2>/dev/null | sed -E 's#.*/temurin-([0-9]+)-.*#\1 &#' | sort -n | tail -n 1 | cut -d' ' -f2)
  if [ -z "$best" ] || [ ! -x "$best/bin/java" ]; then
    echo "kindling: no Temurin JDK under /usr/lib/jvm (need 25 or newer; install temurin-25-jdk or set KINDLING_JAVA_HOME)" >&2
    return 1
  fi
  local major
  major=$("$best/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  if [ "${major:-0}" -lt 25 ]; then
    echo "kindling: $best is Java $major; Kindling needs Java 25 or newer (FFM setns)" >&2
    return 1
  fi
  echo "$best"
}
