#!/bin/sh
# Trains the Fashion-MNIST programs with vgrad and with PyTorch (Debian python3-torch 1.13) on the full data set
# and writes bench/fashion-mnist/results.md: a Markdown table of mean epoch time and final test accuracy, with the
# machine, JDK and torch version (logs in bench/fashion-mnist/logs/), and compare-<program>.png: both frameworks'
# loss and test accuracy per epoch, drawn from the logs by dev.vgrad.examples.CompareCharts. results.md is
# rewritten on every run: notes on runs started by hand go in notes.md beside it, which bench/compare.py carries
# into BENCHMARKS.md after the table.
#
#   mvn -q install -DskipTests            # once, from the repository root
#   sh bench/fashion-mnist/run_bench.sh [mlp cnn resnet]
#
# MODE=concurrent (the default): each program runs in both frameworks at the same time, each with one intra-op
#   thread and pinned to its own core (vgrad on core 0, PyTorch on core 1), so both see the same machine load;
#   wall time is that of the slower framework.
# MODE=sequential: vgrad, then PyTorch, each with THREADS threads (default: all cores) on the whole machine.
# EPOCHS_MLP, EPOCHS_CNN, EPOCHS_RESNET override the epoch counts (defaults: the programs' 20, 10, 15);
# DATA defaults to /usr/share/datasets/fashion-mnist. PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset (so OpenBLAS picks its AVX-512 kernels) and OpenBLAS instead of the reference BLAS when it is installed.
# ALLOCATOR=tcmalloc (the default) preloads libtcmalloc-minimal4 into PyTorch, as PyTorch's CPU performance guide
# recommends (apt-get install libtcmalloc-minimal4); ALLOCATOR=glibc runs it with glibc's malloc.
# Run it on an otherwise idle machine: resnet alone takes over an hour per framework on one core.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH="$ROOT/bench/fashion-mnist"
LOGS="$BENCH/logs"
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
MODE=${MODE:-concurrent}
PROGRAMS=${*:-mlp cnn resnet}
case $MODE in
    concurrent) THREADS=1 ;;
    sequential) THREADS=${THREADS:-$(nproc)} ;;
    *) echo "MODE must be concurrent or sequential" >&2; exit 2 ;;
esac
mkdir -p "$LOGS"

cd "$ROOT"
# offline first (quick when the plugin is cached); on failure Maven prints its error on stdout, so the exit status
# decides, not whether anything was printed
if ! CP=$(mvn -q -o -pl examples dependency:build-classpath -Dmdep.outputFile=/dev/stdout 2>/dev/null); then
    CP=$(mvn -q -pl examples dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
fi
CP="$ROOT/examples/target/classes:$CP"
JAVA=${JAVA:-$("$ROOT/bench/find-jdk.sh")}
OPENBLAS=/usr/lib/x86_64-linux-gnu/openblas-pthread
ALLOCATOR=${ALLOCATOR:-tcmalloc}
case $ALLOCATOR in
    tcmalloc) PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
              [ -f "$PRELOAD" ] || { echo "$PRELOAD missing: apt-get install libtcmalloc-minimal4, or ALLOCATOR=glibc" >&2; exit 2; } ;;
    glibc) PRELOAD= ;;
    *) echo "ALLOCATOR must be tcmalloc or glibc" >&2; exit 2 ;;
esac

epochs() {
    case $1 in
        mlp) echo "${EPOCHS_MLP:-20}" ;;
        cnn) echo "${EPOCHS_CNN:-10}" ;;
        resnet) echo "${EPOCHS_RESNET:-15}" ;;
    esac
}

pin() { # pin CORE command...: taskset in concurrent mode
    core=$1; shift
    if [ "$MODE" = concurrent ]; then taskset -c "$core" "$@"; else "$@"; fi
}

vgrad() {
    pin 0 "$JAVA" -Xmx3g -XX:+UseParallelGC --add-modules jdk.incubator.vector -cp "$CP" \
        dev.vgrad.examples.FashionMnistTrain "$1" --epochs "$2" --threads "$THREADS" --data "$DATA" --no-progress \
        > "$LOGS/$1-vgrad.log" 2>&1
}

torch() {
    pin 1 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${PRELOAD:+LD_PRELOAD="$PRELOAD"} LD_LIBRARY_PATH="$OPENBLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        /usr/bin/python3 "$BENCH/fashion_mnist_torch.py" "$1" --epochs "$2" --threads "$THREADS" --data "$DATA" \
        > "$LOGS/$1-torch.log" 2>&1
}

# mean epoch time (s) and final accuracy from a log with the shared line format
summarise() {
    # the epoch time is the number before "s" and "<rate> img/s" (vgrad's lines go on with the data-wait share)
    awk '/^epoch / { n++; for (i = 1; i + 3 <= NF; i++) if ($(i+1) == "s" && $(i+3) == "img/s") t += $i; acc = $11 }
         END { if (n) printf "%.1f|%.4f|%d", t / n, acc, n; else printf "-|-|0" }' "$1"
}

for p in $PROGRAMS; do
    e=$(epochs "$p")
    echo "== $p ($e epochs, $MODE, $THREADS thread(s) each)"
    if [ "$MODE" = concurrent ]; then
        vgrad "$p" "$e" & v=$!
        torch "$p" "$e" & t=$!
        wait $v; wait $t
    else
        vgrad "$p" "$e"
        torch "$p" "$e"
    fi
    tail -n 1 "$LOGS/$p-vgrad.log" "$LOGS/$p-torch.log"
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
jdk=$("$JAVA" -version 2>&1 | head -1)
tv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null || echo unknown)
{
    echo "# Fashion-MNIST: vgrad vs PyTorch — measured results"
    echo
    echo "Produced by \`sh bench/fashion-mnist/run_bench.sh\` (MODE=$MODE) on $(date -u +%Y-%m-%d): $(nproc) cores ($cpu);"
    echo "vgrad on $jdk with SIMD kernels; PyTorch $tv with OpenBLAS and $ALLOCATOR malloc. Full data set (60,000 train / 10,000 test),"
    echo "program defaults, seed 0. Logs: \`bench/fashion-mnist/logs/\`."
    if [ "$MODE" = concurrent ]; then
        echo "Both frameworks ran at the same time with one intra-op thread each, pinned to separate cores."
    fi
    charts=""
    for p in mlp cnn resnet; do
        [ -f "$LOGS/$p-vgrad.log" ] && [ -f "$LOGS/$p-torch.log" ] && charts="$charts${charts:+, }\`compare-$p.png\`"
    done
    echo "Per-epoch curves of both frameworks: $charts."
    echo
    echo "| program | epochs | threads | vgrad s/epoch | vgrad test acc | PyTorch s/epoch | PyTorch test acc | target |"
    echo "|---|---|---|---|---|---|---|---|"
    for p in mlp cnn resnet; do
        [ -f "$LOGS/$p-vgrad.log" ] && [ -f "$LOGS/$p-torch.log" ] || continue
        v=$(summarise "$LOGS/$p-vgrad.log")
        t=$(summarise "$LOGS/$p-torch.log")
        case $p in mlp) target="≥ 0.88" ;; cnn) target="≥ 0.92" ;; resnet) target="≥ 0.93" ;; esac
        echo "| $p | $(echo "$v" | cut -d'|' -f3) | $THREADS | $(echo "$v" | cut -d'|' -f1) | **$(echo "$v" | cut -d'|' -f2)** | $(echo "$t" | cut -d'|' -f1) | $(echo "$t" | cut -d'|' -f2) | $target |"
    done
} > "$BENCH/results.md"
"$JAVA" -Djava.awt.headless=true -cp "$CP" dev.vgrad.examples.CompareCharts "$LOGS" "$BENCH"
echo
cat "$BENCH/results.md"
