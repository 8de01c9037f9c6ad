#!/bin/sh
# Trains the three Fashion-MNIST programs with vgrad and with PyTorch (Debian python3-torch 1.13) on the full
# data set and writes a Markdown table of epoch time and final test accuracy to bench/fashion-mnist/results.md
# (logs in bench/fashion-mnist/logs/).
#
#   mvn -q install -DskipTests            # once, from the repository root
#   sh bench/fashion-mnist/run_bench.sh [mlp cnn resnet]
#
# Environment: EPOCHS_MLP, EPOCHS_CNN, EPOCHS_RESNET override the epoch counts (defaults: the programs'
# defaults 20, 10, 15); THREADS (default: all cores); DATA (default /usr/share/datasets/fashion-mnist).
# PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (so OpenBLAS picks its AVX-512 kernels) and
# the same number of intra-op threads as vgrad. Run it on an otherwise idle machine: it takes hours on 2 cores.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH="$ROOT/bench/fashion-mnist"
LOGS="$BENCH/logs"
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
THREADS=${THREADS:-$(nproc)}
PROGRAMS=${*:-mlp cnn resnet}
mkdir -p "$LOGS"

cd "$ROOT"
CP=$(mvn -q -o -pl examples dependency:build-classpath -Dmdep.outputFile=/dev/stdout 2>/dev/null || true)
if [ -z "$CP" ]; then
    CP=$(mvn -q -pl examples dependency:build-classpath -Dmdep.outputFile=/dev/stdout)
fi
CP="$ROOT/examples/target/classes:$CP"
JAVA=${JAVA:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -1)/bin/java}

epochs() {
    case $1 in
        mlp) echo "${EPOCHS_MLP:-20}" ;;
        cnn) echo "${EPOCHS_CNN:-10}" ;;
        resnet) echo "${EPOCHS_RESNET:-15}" ;;
    esac
}

# mean epoch time (s) and final accuracy from a log with the shared line format
summarise() {
    awk '/^epoch / { n++; t += $(NF-3); acc = $11 } END { if (n) printf "%.1f|%.4f|%d", t / n, acc, n; else printf "-|-|0" }' "$1"
}

echo "| program | epochs | vgrad s/epoch | vgrad test acc | PyTorch s/epoch | PyTorch test acc |" > "$BENCH/results.md"
echo "|---|---|---|---|---|---|" >> "$BENCH/results.md"
for p in $PROGRAMS; do
    e=$(epochs "$p")
    echo "== $p ($e epochs, $THREADS threads)"
    "$JAVA" -Xmx3g -XX:+UseParallelGC --add-modules jdk.incubator.vector -cp "$CP" \
        dev.vgrad.examples.FashionMnistTrain "$p" --epochs "$e" --threads "$THREADS" --data "$DATA" \
        --no-progress | tee "$LOGS/$p-vgrad.log"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} /usr/bin/python3 "$BENCH/fashion_mnist_torch.py" "$p" \
        --epochs "$e" --threads "$THREADS" --data "$DATA" | tee "$LOGS/$p-torch.log"
    v=$(summarise "$LOGS/$p-vgrad.log")
    t=$(summarise "$LOGS/$p-torch.log")
    echo "| $p | $e | $(echo "$v" | cut -d'|' -f1) | $(echo "$v" | cut -d'|' -f2) | $(echo "$t" | cut -d'|' -f1) | $(echo "$t" | cut -d'|' -f2) |" >> "$BENCH/results.md"
done
echo
cat "$BENCH/results.md"
