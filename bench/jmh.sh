#!/usr/bin/env bash
# Runs the JMH benchmarks of the jmh module on a JDK >= 25 (found like the toolchains plugin finds it).
#
#   mvn -q -pl jmh -am package -Dmaven.test.skip=true && bench/jmh.sh [JMH args, e.g. a regex: 'Gemm' or '-f 1 -wi 2 -i 3 Conv']
#
# Every benchmark comes as a simd/scalar pair of methods that differ only in their fork's JVM arguments
# (--add-modules jdk.incubator.vector vs -Dvgrad.simd=false), except MicroKernelBench: the SGEMM micro-kernel
# alone, with its B panels in L2 or streamed from memory (bench/jmh.sh MicroKernel). Results also go to
# jmh/target/jmh-result.json (unless -rff FILE is given; bench/compare.sh's report lists every
# jmh/target/jmh-result*.json).
# Quick scalar-vs-SIMD pass over one class:  bench/jmh.sh -f 2 -wi 2 -i 3 -w 500ms -r 500ms -p threads=1 '\.ReduceBench'
# Note: -p NAME=V1,V2 overrides that parameter for every selected class, so select one class per call.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar="$root/jmh/target/benchmarks.jar"
[[ -f "$jar" ]] || { echo "jmh.sh: $jar missing; build it: mvn -q -pl jmh -am package -Dmaven.test.skip=true" >&2; exit 1; }
JAVA=$("$here/find-jdk.sh")
echo "# JDK: $JAVA ($("$JAVA" -version 2>&1 | head -1))" >&2
case " $* " in
  *" -rff "*|*" -l "*|*" -h "*) exec "$JAVA" -jar "$jar" "$@" ;;
  *) exec "$JAVA" -jar "$jar" -rf json -rff "$root/jmh/target/jmh-result.json" "$@" ;;
esac
