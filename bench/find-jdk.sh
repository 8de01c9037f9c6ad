#!/usr/bin/env bash
# Prints the path of a `java` launcher of JDK >= 25, looking where maven-toolchains-plugin's
# select-jdk-toolchain looks: $JAVA_HOME, then the JDKs under /usr/lib/jvm (and ~/.sdkman, ~/.jdks).
# Exits 1 with a message if none is found. Usage: JAVA=$(bench/find-jdk.sh)
set -euo pipefail
major() { # major version of a java launcher, or 0
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1
}
cands=()
[[ -n "${JAVA_HOME:-}" ]] && cands+=("$JAVA_HOME/bin/java")
for d in /usr/lib/jvm/*25* /usr/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
  [[ -x "$d/bin/java" ]] && cands+=("$d/bin/java")
done
for j in "${cands[@]}"; do
  v=$(major "$j" || echo 0)
  if [[ -n "$v" && "$v" -ge 25 ]]; then echo "$j"; exit 0; fi
done
echo "find-jdk: no JDK >= 25 found (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
exit 1
