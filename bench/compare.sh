#!/usr/bin/env bash
# vgrad vs PyTorch, side by side in one run, at 1 and 2 threads; prints the table and rewrites BENCHMARKS.md.
#
#   bench/compare.sh                      # full run (5 interleaved rounds, >= 1 s per workload and side)
#   bench/compare.sh --no-profile         # full measurement without the JFR profiles of missed targets (~14 min)
#   bench/compare.sh --quick [REGEX]      # smoke run: 2 rounds of 200 ms, optionally only workloads matching REGEX
#   bench/compare.sh --no-startup         # skip the start-up section (short programs timed from process start)
#   bench/compare.sh --glibc              # PyTorch with glibc's malloc instead of the default preloaded tcmalloc
#
# A full run also profiles (JFR, bench/profile.sh) each workload that misses its target and puts the top stacks
# in the file, and appends the latest JMH scalar/SIMD results (jmh/target/jmh-result.json) if there are any.
#   bench/compare.sh [--no-build] [--rounds N] [--min-ms MS] [--threads 1,2] [--out FILE] [REGEX]
#
# Needs: a JDK >= 25 (found by bench/find-jdk.sh), /usr/bin/python3 with Debian's python3-torch, and for a fair
# BLAS baseline Debian's OpenBLAS + threadpoolctl: apt-get install libopenblas0-pthread python3-threadpoolctl
# (the PyTorch process gets OpenBLAS via LD_LIBRARY_PATH even if the system libblas.so.3 is the reference BLAS,
# and runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset so OpenBLAS uses its AVX-512 kernels).
# PyTorch runs with tcmalloc preloaded (apt-get install libtcmalloc-minimal4), as PyTorch's CPU performance guide
# recommends: with glibc's malloc every fresh large tensor pays page faults that tcmalloc reuses away, which
# would flatter vgrad wherever PyTorch allocates. BENCHMARKS.md names the allocator that ran.
# Run it on an idle machine: check `uptime` first; the file records the load before and after.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=1
args=(--jmh-section)
quick=0
startup=
profile=1
cmd="bench/compare.sh"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0 ;;
    --no-profile) profile=0; cmd+=" --no-profile" ;;
    --glibc) args+=(--allocator glibc); cmd+=" --glibc" ;;
    --startup) startup=1 ;;
    --no-startup) startup=0; cmd+=" --no-startup" ;;
    --quick) quick=1; args+=(--rounds 2 --min-ms 200); cmd+=" --quick" ;;
    --rounds|--min-ms|--threads|--out) args+=("$1" "$2"); cmd+=" $1 $2"; shift ;;
    *) args+=("$1"); cmd+=" '$1'" ;;
  esac
  shift
done
if [[ $build == 1 ]]; then
  # retried: other builds in the same tree can race on core/target while the jar is assembled
  for try in 1 2 3; do
    if (cd "$root" && mvn -q -pl jmh -am package -Dmaven.test.skip=true > "$root/jmh/target-build.log" 2>&1); then break; fi
    if [[ $try == 3 ]]; then tail -40 "$root/jmh/target-build.log" >&2; echo "compare.sh: build failed" >&2; exit 1; fi
    echo "compare.sh: build failed (try $try), retrying in 20 s" >&2; sleep 20
  done
  rm -f "$root/jmh/target-build.log"
fi
[[ $quick == 1 || $profile == 0 ]] || args+=(--profile-misses)
# a full run times the start-up programs too; a quick one only when asked
if [[ ${startup:-$((1 - quick))} == 1 ]]; then args+=(--startup); [[ $quick == 0 ]] || cmd+=" --startup"; fi
JAVA=$("$here/find-jdk.sh")
[[ -d /usr/lib/x86_64-linux-gnu/openblas-pthread ]] || \
  echo "compare.sh: WARNING: Debian's OpenBLAS is missing (apt-get install libopenblas0-pthread): PyTorch would use the reference BLAS" >&2
/usr/bin/python3 -c 'import threadpoolctl' 2>/dev/null || \
  echo "compare.sh: WARNING: python3-threadpoolctl is missing: OpenBLAS's thread count cannot be pinned or reported" >&2
echo "compare.sh: load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec /usr/bin/python3 "$here/compare.py" --java "$JAVA" --jar "$root/jmh/target/benchmarks.jar" --command "$cmd" "${args[@]}"
