#!/usr/bin/env bash
# Starts or stops a Spark standalone cluster on 127.0.0.1 (a Master and WORKERS 1-core Workers as child JVMs
# of one supervisor JVM, dev.vgrad.spark.StandaloneCluster), built from the Maven jars alone.
#
#   spark/bin/standalone-cluster.sh start DIR [WORKERS]   # prints the master URL (spark://127.0.0.1:PORT)
#   spark/bin/standalone-cluster.sh stop DIR              # stops the Master, the Workers and their executors
#
# The class path comes from $VGRAD_SPARK_CLASSPATH if set, else from Maven: the script compiles this checkout's
# spark module and the modules it depends on (`mvn -pl spark -am compile`, reactor classes, no install needed) and
# asks for its runtime class path. The JVM is $JAVA_HOME/bin/java or `java` if that is JDK 25 or newer, else the
# first JDK 25+ under /usr/lib/jvm or ~/.sdkman (what Maven's toolchains plugin finds too).
# Logs: DIR/*.log; the supervisor's pid: DIR/cluster.pid.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"; dir="${2:-}"; workers="${3:-2}"
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start DIR [WORKERS] | stop DIR" >&2; exit 2
fi
# the major version of the JVM $1 (empty if it does not run)
java_major() {
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  echo "${v%%.*}"
}
# vgrad's classes are JDK 25 class files: a JDK 17 on the PATH fails with UnsupportedClassVersionError
find_java() {
  local j v tried=()
  for j in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/*/bin/java \
      "$HOME"/.sdkman/candidates/java/*/bin/java; do
    [[ -n "$j" && -x "$j" ]] || continue
    v="$(java_major "$j")"
    if [[ "$v" =~ ^[0-9]+$ ]] && (( v >= 25 )); then echo "$j"; return 0; fi
    tried+=("$j (${v:-?})")
  done
  echo "no JDK 25 or newer found (tried: ${tried[*]:-nothing}); set JAVA_HOME to one" >&2
  return 1
}
case "$cmd" in
  start)
    mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
    if [[ -f "$dir/cluster.pid" ]] && kill -0 "$(cat "$dir/cluster.pid")" 2>/dev/null; then
      echo "a cluster is already running from $dir (pid $(cat "$dir/cluster.pid"))" >&2; exit 1
    fi
    java="$(find_java)"
    if [[ -n "${VGRAD_SPARK_CLASSPATH:-}" ]]; then
      cp="$VGRAD_SPARK_CLASSPATH"
    else
      # every module's target/vgrad-classpath.txt is written; spark's is the one read. Reactor resolution points
      # at core/nn/optim's target/classes, so the cluster runs this checkout's code, never a stale installed jar.
      rm -f "$here/target/vgrad-classpath.txt"
      mvn -B -q -f "$here/../pom.xml" -pl spark -am compile dependency:build-classpath \
        -Dmdep.includeScope=runtime -Dmdep.outputFile=target/vgrad-classpath.txt 2>&1 \
        | sed 's/\x1b\[[0-9;]*m//g' >&2   # Debian's Maven 3.8 prints bare colour resets even with -B -q
      cp="$here/target/classes:$(cat "$here/target/vgrad-classpath.txt")"
    fi
    jvm_args="$(sed -n 's:.*<spark.jvm.args>\(.*\)</spark.jvm.args>.*:\1:p' "$here/pom.xml")"
    # shellcheck disable=SC2086
    SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=127.0.0.1 nohup "$java" -Xmx256m $jvm_args -cp "$cp" \
      dev.vgrad.spark.StandaloneCluster "$workers" 1 "$dir" > "$dir/cluster.out" 2>&1 &
    echo $! > "$dir/cluster.pid"
    for _ in $(seq 1 600); do
      if grep -q '^spark://' "$dir/cluster.out"; then grep '^spark://' "$dir/cluster.out"; exit 0; fi
      if ! kill -0 "$(cat "$dir/cluster.pid")" 2>/dev/null; then cat "$dir/cluster.out" >&2; exit 1; fi
      sleep 0.1
    done
    echo "the cluster did not start within 60 s; see $dir/cluster.out" >&2; exit 1 ;;
  stop)
    pidfile="$dir/cluster.pid"
    [[ -f "$pidfile" ]] || { echo "no cluster.pid in $dir" >&2; exit 1; }
    pid="$(cat "$pidfile")"
    # SIGTERM runs the supervisor's shutdown hook, which stops executors, Workers and Master
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; exit 0; }; sleep 0.1; done
    echo "pid $pid still running after 30 s" >&2; exit 1 ;;
  *) echo "usage: $0 start DIR [WORKERS] | stop DIR" >&2; exit 2 ;;
esac
