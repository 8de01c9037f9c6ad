#!/bin/sh
# Trains the character-level language models with vgrad (dev.vgrad.examples.LmTrain) and with their PyTorch twins
# (char_gpt_torch.py, lstm_lm_torch.py) on the same corpus, vocabulary, split and batch order, one after the other
# at each thread count, and writes bench/lm/results.md: tokens/s (mean over the run and over the last report
# interval, i.e. after warm-up) and validation loss against steps, with the machine load before and after.
#
#   mvn -q install -DskipTests                      # once, from the repository root
#   /usr/bin/python3 bench/lm/lm_data.py prepare    # once: the whole KJV in ~/.cache/vgrad/kjv.txt (else Genesis)
#   sh bench/lm/run_bench.sh                        # gpt and lstm, 1 and 2 threads, 2000 steps (on an idle machine)
#   STEPS=60 EVAL_EVERY=20 sh bench/lm/run_bench.sh # smoke run
#   REPORT_ONLY=1 sh bench/lm/run_bench.sh          # rewrite results.md from the logs of the last run
#
# PyTorch's thread count is its OpenMP pool and OpenBLAS's pool together (pinned with python3-threadpoolctl); at
# n > 1 threads it runs twice (n/n and 1/n torch/BLAS threads) and the faster run is reported.
# MODELS (default "gpt lstm"), THREADS (default "1 2"), STEPS (2000), EVAL_EVERY (200), ARGS (extra options for
# both sides, e.g. "--batch-size 64"). PyTorch runs with tcmalloc preloaded (ALLOCATOR=tcmalloc, the default;
# apt-get install libtcmalloc-minimal4) or glibc's malloc (ALLOCATOR=glibc), OpenBLAS with OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset, as bench/compare.sh runs it.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH="$ROOT/bench/lm"
LOGS="$BENCH/logs"
MODELS=${MODELS:-gpt lstm}
THREADS=${THREADS:-1 2}
STEPS=${STEPS:-2000}
EVAL_EVERY=${EVAL_EVERY:-200}
ARGS=${ARGS:-}
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

if [ "${REPORT_ONLY:-0}" = 1 ]; then
    . "$LOGS/run.env"
else
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for m in $MODELS; do
    case $m in
        gpt) script=char_gpt_torch.py ;;
        lstm) script=lstm_lm_torch.py ;;
        *) echo "unknown model $m (gpt or lstm)" >&2; exit 2 ;;
    esac
    for t in $THREADS; do
        echo "== $m, $t thread(s): vgrad" >&2
        # shellcheck disable=SC2086
        "$JAVA" -Xmx3g -XX:+UseParallelGC --add-modules jdk.incubator.vector -cp "$CP" dev.vgrad.examples.LmTrain \
            "$m" --steps "$STEPS" --eval-every "$EVAL_EVERY" --threads "$t" --sample-length 0 --no-progress $ARGS \
            > "$LOGS/$m-t$t-vgrad.log" 2>&1
        # torch sizes its OpenMP pool with --threads and lm_data.py pins OpenBLAS to --blas-threads (default the
        # same); at n > 1 torch with 1 OpenMP thread and n BLAS threads can be faster (its OpenMP and BLAS pools
        # compete for the cores), so both run and the faster over the run is reported, as bench/compare.sh does
        cfgs="$t:$t"
        [ "$t" -gt 1 ] && cfgs="$t:$t 1:$t"
        best=0
        for cfg in $cfgs; do
            tt=${cfg%:*}; bt=${cfg#*:}
            echo "== $m, $t thread(s): torch ($ALLOCATOR, $tt torch / $bt BLAS threads)" >&2
            # shellcheck disable=SC2086
            env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${PRELOAD:+LD_PRELOAD="$PRELOAD"} \
                LD_LIBRARY_PATH="$OPENBLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
                /usr/bin/python3 "$BENCH/$script" --steps "$STEPS" --eval-every "$EVAL_EVERY" --threads "$tt" \
                --blas-threads "$bt" $ARGS > "$LOGS/$m-t$t-torch-$tt-$bt.log" 2>&1
            rate=$(sed -n 's/.*| \([0-9]*\) tok\/s over the run.*/\1/p' "$LOGS/$m-t$t-torch-$tt-$bt.log")
            if [ "${rate:-0}" -gt "$best" ]; then
                best=$rate
                cp "$LOGS/$m-t$t-torch-$tt-$bt.log" "$LOGS/$m-t$t-torch.log"
            fi
            rm -f "$LOGS/$m-t$t-torch-$tt-$bt.log"
        done
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
cat > "$LOGS/run.env" <<ENV
LOAD_BEFORE='$LOAD_BEFORE'
LOAD_AFTER='$LOAD_AFTER'
ALLOCATOR='$ALLOCATOR'
STEPS='$STEPS'
EVAL_EVERY='$EVAL_EVERY'
MODELS='$MODELS'
THREADS='$THREADS'
ARGS='$ARGS'
ENV
fi

/usr/bin/python3 - "$LOGS" "$BENCH/results.md" "$LOAD_BEFORE" "$LOAD_AFTER" "$ALLOCATOR" "$STEPS" "$EVAL_EVERY" \
    "$MODELS" "$THREADS" "$ARGS" "$("$JAVA" -version 2>&1 | head -1)" <<'PY'
import os, platform, re, subprocess, sys
logs, out, before, after, alloc, steps, every, models, threads, extra, jdk = sys.argv[1:]
step_re = re.compile(r"^step\s+(\d+)/\d+\s+train loss ([\d.]+)\s+val loss ([\d.]+)\s+\|.*?(\d+) tok/s")
final_re = re.compile(r"^final val loss ([\d.]+) after (\d+) steps \| (\d+) tok/s")
def parse(path):
    rows, final = [], None
    if not os.path.exists(path):
        return rows, final
    for line in open(path):
        m = step_re.match(line)
        if m:
            rows.append((int(m[1]), float(m[2]), float(m[3]), int(m[4])))
        m = final_re.match(line)
        if m:
            final = (float(m[1]), int(m[2]), int(m[3]))
    return rows, final
def torch_cfg(path):
    m = re.search(r"(\d+) threads \(BLAS openblas (\d+)\)", open(path).read())
    return f"{m.group(1)}/{m.group(2)}" if m else "BLAS unpinned"


def head(path):
    if not os.path.exists(path):
        return "(missing)"
    return next((l.strip() for l in open(path) if l.startswith(("vgrad ", "torch "))), "(no header)")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
torch_v = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"],
                         capture_output=True, text=True).stdout.strip()
L = ["# Language models: vgrad vs PyTorch", "",
     "Written by `bench/lm/run_bench.sh`. Same model shapes, init laws, optimizer (AdamW, warm-up + cosine), data",
     "pipeline and batch order on both sides (`bench/lm/lm_data.py` = `dev.vgrad.examples.LmData`); the weights",
     "differ (different random generators), so validation losses agree statistically, not bitwise.", "",
     f"- machine: {cpu}, {os.cpu_count()} cores; load average before {before}, after {after} (this run's own jobs "
     "included)",
     f"- vgrad: {jdk}; PyTorch {torch_v} with {alloc} malloc",
     f"- steps {steps}, report every {every}, extra options: `{extra or '-'}`",
     f"- command: `STEPS={steps} EVAL_EVERY={every} MODELS='{models}' THREADS='{threads}'"
     + (f" ARGS='{extra}'" if extra else "") + f" ALLOCATOR={alloc} sh bench/lm/run_bench.sh`", ""]
# the load after includes this run's own 2-thread jobs (a 1-minute average of ~2 on 2 cores), so only the load
# before says whether other jobs shared the machine
load = float(before.split()[0])
if load > 0.5:
    L += [f"**Taken under load** (1-minute load average {before.split()[0]} before, {after.split()[0]} after, on "
          f"{os.cpu_count()} cores, shared with other jobs): these numbers show that the pipeline works, not how fast "
          "either side is. Measure on an idle machine (check `uptime` first) with the default 2000 steps:",
          "", "```sh", "mvn -q install -DskipTests && /usr/bin/python3 bench/lm/lm_data.py prepare && "
          "sh bench/lm/run_bench.sh", "```", ""]
L += ["| model | threads | vgrad tok/s (run) | torch tok/s (run) | ratio | vgrad tok/s (last interval) | torch tok/s (last interval) | ratio | vgrad val loss | torch val loss | torch cfg |",
      "|---|---|---|---|---|---|---|---|---|---|---|"]
curves = []
for m in models.split():
    for t in threads.split():
        vr, vf = parse(f"{logs}/{m}-t{t}-vgrad.log")
        tr, tf = parse(f"{logs}/{m}-t{t}-torch.log")
        if not (vf and tf):
            L.append(f"| {m} | {t} | (failed: see bench/lm/logs/{m}-t{t}-*.log) ||||||||| |")
            continue
        L.append(f"| {m} | {t} | {vf[2]} | {tf[2]} | {vf[2] / tf[2]:.2f} | {vr[-1][3]} | {tr[-1][3]} | "
                 f"{vr[-1][3] / tr[-1][3]:.2f} | {vf[0]:.4f} | {tf[0]:.4f} | {torch_cfg(f'{logs}/{m}-t{t}-torch.log')} |")
        curves.append((m, t, vr, tr, head(f"{logs}/{m}-t{t}-vgrad.log")))
L += ["", "ratio = vgrad / PyTorch (> 1: vgrad faster). The run mean includes vgrad's JIT warm-up; the last interval",
      "is steady state. torch cfg = torch's OpenMP threads / OpenBLAS threads (both pinned; at 2 threads the faster",
      "of 2/2 and 1/2 is shown).", ""]
for m, t, vr, tr, h in curves:
    L += [f"## {m}, {t} thread(s): loss against steps", "", f"`{h}`", "",
          "| step | vgrad train | vgrad val | torch train | torch val |", "|---|---|---|---|---|"]
    for a, b in zip(vr, tr):
        L.append(f"| {a[0]} | {a[1]:.4f} | {a[2]:.4f} | {b[1]:.4f} | {b[2]:.4f} |")
    L.append("")
open(out, "w").write("\n".join(L))
print("\n".join(L))
PY
