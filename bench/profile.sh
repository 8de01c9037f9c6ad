#!/usr/bin/env bash
# Profiles one vgrad workload with JFR (execution samples) and prints the hottest methods and stacks, and the
# allocations by class.
#   bench/profile.sh WORKLOAD [THREADS=1] [SECONDS=10] [PRELUDE]     e.g. bench/profile.sh cnn_step 2 15
# PRELUDE: comma-separated workloads run first (500 ms each, before recording), to profile WORKLOAD in a JVM whose
# JIT has also seen other ops, as in bench/compare.sh's long-lived server (e.g. add_16m after mul_16m,add_16m_tensor).
# Needs jmh/target/benchmarks.jar (mvn -q -pl jmh -am package -Dmaven.test.skip=true). Leaves the recording in
# jmh/target/profile-WORKLOAD-THREADS.jfr (open it with JDK Mission Control or `jfr view`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
name=$1; threads=${2:-1}; secs=${3:-10}; prelude=${4:-}
JAVA=$("$here/find-jdk.sh")
JFR=$(dirname "$JAVA")/jfr
out="$root/jmh/target/profile-$name-$threads.jfr"
ms=$((secs * 1000))
{ for p in ${prelude//,/ }; do printf 'run %s %s 500\n' "$p" "$threads"; done
  printf 'run %s %s 3000\nrun %s %s %s\nquit\n' "$name" "$threads" "$name" "$threads" "$ms"; } | \
  "$JAVA" --add-modules jdk.incubator.vector -Xmx8g \
    -XX:StartFlightRecording=filename="$out",settings=profile,delay=$((5 + $(echo "$prelude" | tr ',' '\n' | grep -c . || true) * 3))s \
    -cp "$root/jmh/target/benchmarks.jar" dev.vgrad.jmh.CompareServer 2>/dev/null
echo "# $out"
"$JFR" view --width 200 hot-methods "$out" | head -30
echo "# allocation by class"
"$JFR" view --width 140 allocation-by-class "$out" | sed -n '5,10p' 
"$JFR" print --events jdk.ExecutionSample --stack-depth 12 "$out" > "${out%.jfr}.txt"
/usr/bin/python3 - "${out%.jfr}.txt" <<'PY'
import re, sys, collections
text = open(sys.argv[1]).read()
stacks = collections.Counter()
for ev in text.split("jdk.ExecutionSample")[1:]:
    frames = re.findall(r"^\s+([\w.$<>]+\([^)]*\))\s+line:", ev, re.M)
    # collapse to the first frame in dev.vgrad outside the kernels' inner loops plus its callers
    key = " <- ".join(f.split("(")[0].replace("dev.vgrad.", "") for f in frames[:6])
    stacks[key] += 1
total = sum(stacks.values())
print("\n# top stacks (%d samples)" % total)
for k, n in stacks.most_common(25):
    print("%5.1f%%  %s" % (100.0 * n / total, k))
PY
