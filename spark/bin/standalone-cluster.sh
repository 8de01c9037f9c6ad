#!/usr/bin/env bash
# Starts or stops a Spark standalone cluster on 127.0.0.1 (a Master and WORKERS 1-core Workers as child JVMs
# of one supervisor JVM, dev.vgrad.spark.StandaloneCluster), built from the Maven jars alone.
#
#   spark/bin/standalone-cluster.sh start DIR [WORKERS]   # prints the master URL (spark://127.0.0.1:PORT)
#   spark/bin/standalone-cluster.sh stop DIR              # stops the Master, the Workers and their executors
#
# The class path comes from $VGRAD_SPARK_CLASSPATH if set, else from Maven (run
# `mvn -B -pl spark -am install -DskipTests` once before). Logs: DIR/*.log; the supervisor's pid: DIR/cluster.pid.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"; dir="${2:-}"; workers="${3:-2}"
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start DIR [WORKERS] | stop DIR" >&2; exit 2
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
case "$cmd" in
  start)
    mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
    if [[ -f "$dir/cluster.pid" ]] && kill -0 "$(cat "$dir/cluster.pid")" 2>/dev/null; then
      echo "a cluster is already running from $dir (pid $(cat "$dir/cluster.pid"))" >&2; exit 1
    fi
    if [[ -n "${VGRAD_SPARK_CLASSPATH:-}" ]]; then
      cp="$VGRAD_SPARK_CLASSPATH"
    else
      mvn -B -q -f "$here/pom.xml" dependency:build-classpath -Dmdep.outputFile="$dir/classpath.txt" >&2
      cp="$here/target/classes:$(cat "$dir/classpath.txt")"
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
