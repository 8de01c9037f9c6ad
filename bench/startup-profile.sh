#!/usr/bin/env bash
# Profiles one start-up program of bench/compare.sh's start-up section (StartupPrograms: linreg, spiral or
# attention) from process start with JFR, and prints where its first seconds go: the JIT's compilation time by
# kind of code (C2 and C1; the Vector API's Java fallbacks apart, since cold vector code calls them out of line),
# the longest C2 compilations, the collections, and the hottest sampled frames.
#   bench/startup-profile.sh [PROGRAM=spiral]
# Needs jmh/target/benchmarks.jar (mvn -q -pl jmh -am package -Dmaven.test.skip=true) and /usr/bin/python3.
# JFR itself starts in about 0.5 s and compiles its own instrumentation (jdk.internal.classfile methods), so the
# run is slower than the unprofiled one: compare shares, not totals.
# Leaves the recording in jmh/target/startup-PROGRAM.jfr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
prog=${1:-spiral}
JAVA=$("$here/find-jdk.sh")
JFR=$(dirname "$JAVA")/jfr
out="$root/jmh/target/startup-$prog.jfr"
start=$EPOCHREALTIME
"$JAVA" "-XX:StartFlightRecording:filename=$out,settings=profile,jdk.Compilation#threshold=0ms" \
  --add-modules jdk.incubator.vector -cp "$root/jmh/target/benchmarks.jar" \
  dev.vgrad.jmh.startup.StartupPrograms "$prog" 2>/dev/null | grep -v '^\[' || true
end=$EPOCHREALTIME
"$JFR" print --events jdk.Compilation "$out" > "${out%.jfr}-compilation.txt"
"$JFR" print --events jdk.GarbageCollection "$out" > "${out%.jfr}-gc.txt"
"$JFR" print --events jdk.ExecutionSample --stack-depth 1 "$out" > "${out%.jfr}-samples.txt"
/usr/bin/python3 - "${out%.jfr}" "$start" "$end" <<'PY'
import collections, re, sys
base = sys.argv[1]
print("# %s.jfr: %.2f s from launch to exit, with JFR" % (base, float(sys.argv[3]) - float(sys.argv[2])))
unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}

def ms(ev, field):
    m = re.search(r"%s = ([\d.]+) (ns|us|ms|s)\b" % field, ev)
    return float(m.group(1)) * unit[m.group(2)] if m else 0.0

def kind(method):
    if method.startswith(("jdk.incubator.vector", "jdk.internal.vm.vector")):
        return "Vector API (Java fallbacks)"
    if method.startswith("dev.vgrad.core.kernel.SimdGemm") or method.startswith("dev.vgrad.core.kernel.Gemm"):
        return "vgrad GEMM"
    if method.startswith("dev.vgrad"):
        return "vgrad, other"
    return "JDK, other"

comp = []
for ev in open(base + "-compilation.txt").read().split("jdk.Compilation")[1:]:
    m = re.search(r"method = (.+)", ev)
    lvl = re.search(r"compileLevel = (\d)", ev)
    if m and lvl:
        comp.append((ms(ev, "duration"), int(lvl.group(1)), m.group(1).strip()))
for tier, name in ((4, "C2"), (3, "C1")):
    rows = [c for c in comp if (c[1] == 4) == (tier == 4)]
    by = collections.Counter()
    for d, _, meth in rows:
        by[kind(meth)] += d
    print("%s: %.0f ms in %d compilations; %s" % (name, sum(d for d, _, _ in rows), len(rows),
          ", ".join("%s %.0f ms" % (k, v) for k, v in by.most_common())))
print("longest C2 compilations:")
for d, _, meth in sorted((c for c in comp if c[1] == 4), reverse=True)[:8]:
    print("  %7.1f ms  %s" % (d, meth))
gcs = open(base + "-gc.txt").read().split("jdk.GarbageCollection")[1:]
print("collections: %d, %.1f ms of pauses" % (len(gcs), sum(ms(ev, "sumOfPauses") for ev in gcs)))
frames = collections.Counter(re.findall(r"stackTrace = \[\s*\n\s+([\w.$<>]+)\(", open(base + "-samples.txt").read()))
total = sum(frames.values())
print("hottest frames (%d samples):" % total)
for f, n in frames.most_common(12):
    print("  %5.1f%%  %s" % (100.0 * n / max(total, 1), f))
PY
