#!/usr/bin/python3
"""Runs vgrad and PyTorch side by side on the same workloads and writes BENCHMARKS.md.

Started by bench/compare.sh (which builds the jar and finds a JDK >= 25); see that script for the options.

Two long-lived servers are started: dev.vgrad.jmh.CompareServer (JDK 25, Vector API on) and
bench/torch_bench.py --serve (Debian's python3-torch with OpenBLAS, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset).
For each round, thread count and workload the driver asks both for one timed batch (>= --min-ms of repeated
runs, after a one-time warm-up), alternating which side goes first, so slow drift of this shared machine hits
both sides alike. The reported time is the median over rounds; the spread is (max - min) / median.
Ratios are throughput ratios: vgrad ops/s / PyTorch ops/s = PyTorch time / vgrad time.

At 2 threads PyTorch is also measured with torch.set_num_threads(1) (OpenBLAS keeps 2 threads): torch's OpenMP
pool spins and can steal cores from OpenBLAS. The faster PyTorch configuration is the baseline (the one that
favours PyTorch), and the table says which one it was.
"""
import argparse
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"

# (workload, threads, minimum ratio, label) -- from issue 5's targets
RATIO_TARGETS = [
    ("sgemm_256", 1, 0.90, "SGEMM 256, 1 thread"),
    ("sgemm_512", 1, 0.90, "SGEMM 512, 1 thread"),
    ("sgemm_1024", 1, 0.90, "SGEMM 1024, 1 thread"),
    ("sgemm_2048", 1, 0.90, "SGEMM 2048, 1 thread"),
    ("sgemm_256", 2, 0.85, "SGEMM 256, 2 threads"),
    ("sgemm_512", 2, 0.85, "SGEMM 512, 2 threads"),
    ("sgemm_1024", 2, 0.85, "SGEMM 1024, 2 threads"),
    ("sgemm_2048", 2, 0.85, "SGEMM 2048, 2 threads"),
    ("mlp_fwd", 1, 0.90, "MLP X·W, 1 thread"),
    ("mlp_bwd_dx", 1, 0.90, "MLP dY·Wᵀ, 1 thread"),
    ("mlp_bwd_dw", 1, 0.90, "MLP Xᵀ·dY, 1 thread"),
    ("conv_fwd", 2, 1.0, "conv2d forward, 2 threads"),
    ("conv_fwdbwd", 2, 1.0, "conv2d forward+backward, 2 threads"),
    ("chain1000", 1, 5.0, "1000 chained tiny ops fwd+bwd, 1 thread"),
    ("mlp_step", 1, 1.5, "MLP Adam step, 1 thread"),
    ("mlp_step", 2, 1.5, "MLP Adam step, 2 threads"),
    ("cnn_step", 1, 1.0, "CNN step, 1 thread"),
    ("cnn_step", 2, 1.0, "CNN step, 2 threads"),
    ("attn_fwdbwd", 1, 1.0, "causal attention fwd+bwd B8 H4 T256 D64, 1 thread"),
    ("attn_fwdbwd", 2, 1.0, "causal attention fwd+bwd B8 H4 T256 D64, 2 threads"),
    ("lstm_fwdbwd", 1, 1.0, "LSTM fwd+bwd (T 64, B 32, hidden 256), 1 thread"),
    ("lstm_fwdbwd", 2, 1.0, "LSTM fwd+bwd (T 64, B 32, hidden 256), 2 threads"),
]
# elementwise kernels vs the triad bandwidth measured in the same run (2 threads)
BANDWIDTH_TARGETS = [("add_16m", 0.7), ("mul_16m", 0.7), ("relu_16m", 0.7),
                     ("add_16m_tensor", 0.7), ("mul_16m_tensor", 0.7), ("relu_16m_tensor", 0.7)]


class Server:
    def __init__(self, name, argv, env=None):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, env=env,
                                     text=True, bufsize=1)

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise RuntimeError("%s server died (exit %s) on: %s" % (self.name, self.proc.poll(), line))
        return json.loads(out)

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001
            self.proc.kill()


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # noqa: BLE001
        return "(%s)" % e


def sh_long(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=600).stdout


def machine():
    lscpu = sh("lscpu")
    get = lambda key: next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith(key)), "?")
    flags = get("Flags").split()
    return {
        "model": get("Model name"), "cpus": get("CPU(s)"), "threads_per_core": get("Thread(s) per core"),
        "l2": get("L2 cache"), "l3": get("L3 cache"), "avx512f": "avx512f" in flags,
        "hypervisor": get("Hypervisor vendor"), "kernel": sh("uname -r"),
    }


def load():
    la = sh("cat /proc/loadavg").split()
    top = sh("top -bn1 -w 200 | sed -n '7,12p'")
    return {"loadavg": " ".join(la[:3]) if la else "?", "top": top}


def fmt_rate(r, unit):
    if unit in ("GFLOP/s", "GB/s"):
        return "%.1f %s" % (r, unit)
    if r >= 1000:
        return "%.0f %s" % (r, unit)
    return "%.1f %s" % (r, unit)


STARTUP_PROGRAMS = ("linreg", "spiral", "attention")


def run_startup(a, tenv):
    """Wall time from process start to exit of each short program, vgrad and PyTorch interleaved, a.startup_runs
    times; both sides at their default thread counts, as a user runs them."""
    times = {}
    for r in range(a.startup_runs):
        for i, prog in enumerate(STARTUP_PROGRAMS):
            sides = [("vgrad", [a.java, "--add-modules", "jdk.incubator.vector", "-cp", a.jar,
                                "dev.vgrad.jmh.startup.StartupPrograms", prog], dict(os.environ)),
                     ("torch", ["/usr/bin/python3", os.path.join(HERE, "startup.py"), prog], tenv)]
            if (r + i) % 2:
                sides.reverse()
            for side, argv, env in sides:
                t0 = time.perf_counter()
                out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
                dt = time.perf_counter() - t0
                if out.returncode != 0:
                    raise SystemExit("start-up program %s (%s) failed:\n%s" % (prog, side, out.stderr[-2000:]))
                times.setdefault((side, prog), []).append((dt, out.stdout.strip()))
                print("start-up run %d/%d  %-10s %-6s %.2f s  %s" % (r + 1, a.startup_runs, prog, side, dt,
                                                                    out.stdout.strip()), file=sys.stderr)
    return times


def write_startup(w, a, times):
    w("## Start-up: short programs from process start to last line")
    w("")
    w("`jmh/…/startup/StartupPrograms.java` against `bench/startup.py` (same data from the same integer formulas, "
      "same models, optimizers and step counts; see their docs): `java --add-modules jdk.incubator.vector -cp "
      "benchmarks.jar …` against `python3 bench/startup.py …` (with `import torch`), %d runs each, interleaved, "
      "default thread counts. Ratio = PyTorch time / vgrad time (> 1: vgrad faster)." % a.startup_runs)
    w("")
    w("| program | vgrad median (min–max) | PyTorch median (min–max) | ratio | final loss vgrad / PyTorch |")
    w("|---|---:|---:|---:|---|")
    for prog in STARTUP_PROGRAMS:
        v = sorted(t for t, _ in times[("vgrad", prog)])
        p = sorted(t for t, _ in times[("torch", prog)])
        med = lambda xs: xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
        loss = lambda side: times[(side, prog)][-1][1].rsplit(" ", 1)[-1]
        w("| %s | %.2f s (%.2f–%.2f) | %.2f s (%.2f–%.2f) | **%.2f×** | %s / %s |" % (
            prog, med(v), v[0], v[-1], med(p), p[0], p[-1], med(p) / med(v), loss("vgrad"), loss("torch")))
    w("")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--java", required=True)
    ap.add_argument("--jar", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-ms", type=float, default=1000)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--command", default="bench/compare.sh")
    ap.add_argument("--profile-misses", action="store_true", help="profile each missed target (JFR)")
    ap.add_argument("--profile-seconds", type=int, default=12)
    ap.add_argument("--jmh-section", action="store_true", help="append the latest JMH results")
    ap.add_argument("--allocator", choices=("tcmalloc", "glibc"), default="tcmalloc",
                    help="malloc of the PyTorch process (tcmalloc is preloaded by default, as PyTorch's CPU "
                         "performance guide recommends)")
    ap.add_argument("--startup", action="store_true",
                    help="also time the short programs of bench/startup.py and their vgrad twins from process start")
    ap.add_argument("--startup-runs", type=int, default=5)
    ap.add_argument("filter", nargs="?", default=None, help="regex over workload names")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]

    load_before = load()
    jenv = dict(os.environ)
    # The JVM's default collector (G1), as a user's program gets it. ParallelGC with a large heap let eden grow to
    # gigabytes; on VMs that reclaim idle guest pages (DAMON reclaim) every pass over a cold eden page-faults
    # again, and mlp_step drifted from 1 ms to 8 ms within a run while G1's smaller young generation stayed hot.
    vg = Server("vgrad", [a.java, "--add-modules", "jdk.incubator.vector", "-Xmx8g",
                          "-cp", a.jar, "dev.vgrad.jmh.CompareServer"], env=jenv)
    tenv = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS"):
        tenv.pop(k, None)
    obdir = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
    if os.path.isdir(obdir):  # Debian's OpenBLAS for this process only, whatever the libblas.so.3 alternative says
        tenv["LD_LIBRARY_PATH"] = obdir + (":" + tenv["LD_LIBRARY_PATH"] if tenv.get("LD_LIBRARY_PATH") else "")
    if a.allocator == "tcmalloc":
        if not os.path.exists(TCMALLOC):
            sys.exit("compare.py: %s is missing (apt-get install libtcmalloc-minimal4), or pass --glibc" % TCMALLOC)
        tenv["LD_PRELOAD"] = TCMALLOC + (" " + tenv["LD_PRELOAD"] if tenv.get("LD_PRELOAD") else "")
    else:
        tenv.pop("LD_PRELOAD", None)
    pt = Server("torch", ["/usr/bin/python3", os.path.join(HERE, "torch_bench.py"), "--serve"], env=tenv)
    try:
        vinfo = vg.ask("info")
        tinfo = pt.ask("info")
        if tinfo.get("allocator") != a.allocator:
            sys.exit("compare.py: PyTorch runs with %s, not the requested %s" % (tinfo.get("allocator"), a.allocator))
        names = [n for n in json.loads(subprocess.run(
            [a.java, "-cp", a.jar, "dev.vgrad.jmh.CompareServer", "--list"], capture_output=True, text=True,
            check=True).stdout)]
        if a.filter:
            names = [n for n in names if re.search(a.filter, n)]
        blas = [b for b in tinfo["blas"] if b.get("internal_api") == "openblas"]
        if not blas:
            print("WARNING: PyTorch is not running OpenBLAS: %s" % tinfo["blas"], file=sys.stderr)
        print("vgrad: %s  |  torch %s, BLAS %s" % (vinfo["jdk"], tinfo["torch"],
              ", ".join("%s %s %s" % (b.get("internal_api"), b.get("version"), b.get("architecture"))
                        for b in tinfo["blas"])), file=sys.stderr)

        # samples[(side, name, threads)] = [sec_per_op, ...]; side in vgrad, torch, torch1 (torch 1 thr + BLAS n)
        samples, errors, meta = {}, {}, {}
        t0 = time.time()
        for r in range(a.rounds):
            for t in threads:
                for i, name in enumerate(names):
                    sides = [("vgrad", vg, "run %s %d %g" % (name, t, a.min_ms)),
                             ("torch", pt, "run %s %d %g" % (name, t, a.min_ms))]
                    if t > 1:
                        sides.append(("torch1", pt, "run %s %d %g 1" % (name, t, a.min_ms)))
                    if (r + i) % 2:
                        sides.reverse()
                    for side, srv, cmd in sides:
                        res = srv.ask(cmd)
                        key = (side, name, t)
                        if "error" in res:
                            errors[key] = res["error"]
                            continue
                        samples.setdefault(key, []).append(res["sec_per_op"])
                        meta[name] = (res["work"], res["unit"])
                    print("round %d/%d  %d thr  %-20s %s" % (
                        r + 1, a.rounds, t, name, "  ".join(
                            "%s %.4g ms" % (s, samples[(s, name, t)][-1] * 1e3)
                            for s in ("vgrad", "torch", "torch1") if (s, name, t) in samples)),
                        file=sys.stderr)
        elapsed = time.time() - t0
    finally:
        vg.close()
        pt.close()
    startup = run_startup(a, tenv) if a.startup else None
    load_after = load()
    try:  # raw samples, for a closer look
        with open(os.path.join(ROOT, "jmh", "target", "compare-samples.json"), "w") as f:
            json.dump({"vgrad": vinfo, "torch": tinfo, "rounds": a.rounds, "min_ms": a.min_ms,
                       "samples": [{"side": k[0], "name": k[1], "threads": k[2], "sec_per_op": v}
                                   for k, v in samples.items()],
                       "errors": [{"side": k[0], "name": k[1], "threads": k[2], "error": v}
                                  for k, v in errors.items()]}, f, indent=1)
    except OSError:
        pass

    def stat(key):
        xs = samples.get(key)
        if not xs:
            return None
        med = statistics.median(xs)
        return med, (max(xs) - min(xs)) / med if med > 0 else 0.0

    rows, ratio = [], {}
    for t in threads:
        for name in names:
            v = stat(("vgrad", name, t))
            tt = stat(("torch", name, t))
            t1 = stat(("torch1", name, t)) if t > 1 else None
            base, cfg = tt, "%d/%d" % (t, t)
            if t1 and (base is None or t1[0] < base[0]):
                base, cfg = t1, "1/%d" % t
            if name not in meta:
                rows.append((name, t, None, None, None, None, cfg,
                             errors.get(("vgrad", name, t)) or errors.get(("torch", name, t))))
                continue
            work, unit = meta[name]
            scale = 1e9 if unit in ("GFLOP/s", "GB/s") else 1.0
            vr = work / v[0] / scale if v else None
            tr = work / base[0] / scale if base else None
            rt = base[0] / v[0] if v and base else None
            ratio[(name, t)] = rt
            note = errors.get(("vgrad", name, t)) if not v else (errors.get(("torch", name, t)) if not base else "")
            rows.append((name, t, v, base, vr, tr, cfg, note or "", unit))

    now = datetime.datetime.now().astimezone()
    m = machine()
    lines = []
    w = lines.append
    w("# vgrad benchmarks")
    w("")
    w("Generated by `%s` on %s — do not edit by hand; rerun the command." % (a.command,
                                                                            now.strftime("%Y-%m-%d %H:%M %Z")))
    w("")
    w("## Setup")
    w("")
    w("| | |")
    w("|---|---|")
    w("| machine | %s, %s CPUs (%s thread/core), L2 %s, L3 %s, AVX-512: %s, hypervisor %s, Linux %s |" % (
        m["model"], m["cpus"], m["threads_per_core"], m["l2"], m["l3"], "yes" if m["avx512f"] else "no",
        m["hypervisor"], m["kernel"]))
    w("| vgrad | %s, SIMD kernels: %s, JVM args `%s` |" % (vinfo["vm"], vinfo["simd"], vinfo["args"]))
    w("| PyTorch | %s (Python %s), malloc: **%s**, mkldnn: %s, OPENBLAS_CORETYPE=%s, OPENBLAS_L2_SIZE=%s |" % (
        tinfo["torch"], tinfo["python"], tinfo["allocator"], tinfo["mkldnn"], tinfo["OPENBLAS_CORETYPE"] or "unset",
        tinfo["OPENBLAS_L2_SIZE"] or "unset"))
    w("| PyTorch BLAS | %s |" % "; ".join("%s %s (%s, %s)" % (b.get("internal_api"), b.get("version") or "",
                                                              b.get("architecture") or b.get("filepath"),
                                                              b.get("threading_layer") or "")
                                        for b in tinfo["blas"]))
    w("| threads | %s: `Vgrad.setNumThreads(n)`; PyTorch `torch.set_num_threads(n)` and OpenBLAS limited to n "
      "(threadpoolctl); at n>1 also torch 1 thread + OpenBLAS n, faster one used (column *torch cfg* = torch/BLAS "
      "threads) |" % ", ".join(map(str, threads)))
    w("| method | %d interleaved rounds × ≥%g ms per workload and side after a one-time warm-up; median of the "
      "rounds; ± is (max−min)/median; total %.0f s |" % (a.rounds, a.min_ms, elapsed))
    w("| raw samples | `jmh/target/compare-samples.json` |")
    w("| load before | %s |" % load_before["loadavg"])
    w("| load after | %s |" % load_after["loadavg"])
    busy = max(float(load_before["loadavg"].split()[0] or 0), float(load_after["loadavg"].split()[0] or 0))
    if busy > 0.5:
        w("")
        w("**Caution: the machine was not idle (1-minute load average up to %.2f besides this run on %s CPUs); "
          "other processes shared the cores, so absolute numbers and ratios are noisy.**" % (busy, m["cpus"]))
    w("")
    w("## vgrad vs PyTorch")
    w("")
    w("Ratio = vgrad throughput / PyTorch throughput (> 1: vgrad faster).")
    w("")
    w("| workload | threads | vgrad time | PyTorch time | vgrad rate | PyTorch rate | ratio | torch cfg |")
    w("|---|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        name, t, v, base, vr, tr, cfg, note = row[:8]
        if vr is None and tr is None:
            w("| %s | %d | n/a | n/a | | | | %s |" % (name, t, (note or "")[:120]))
            continue
        unit = row[8]
        ft = lambda s: ("%.3f ms ±%.0f%%" % (s[0] * 1e3, s[1] * 100)) if s else "n/a"
        w("| %s | %d | %s | %s | %s | %s | %s | %s%s |" % (
            name, t, ft(v), ft(base), fmt_rate(vr, unit) if vr else "n/a", fmt_rate(tr, unit) if tr else "n/a",
            ("**%.2f×**" % ratio[(name, t)]) if ratio.get((name, t)) else "n/a", cfg,
            (" — " + note[:100]) if note else ""))
    w("")
    if startup:
        write_startup(w, a, startup)
    w("## Targets (issue 5)")
    w("")
    w("| target | measured | required | met |")
    w("|---|---:|---:|---|")
    for name, t, req, label in RATIO_TARGETS:
        if a.filter and name not in names or t not in threads:
            continue
        r = ratio.get((name, t))
        w("| %s | %s | ≥ %.2f× | %s |" % (label, ("%.2f×" % r) if r else "n/a", req,
                                          "n/a" if r is None else ("yes" if r >= req else "**no**")))
    tb = max([samples_rate for samples_rate in [
        (meta["triad_16m"][0] / stat((s, "triad_16m", max(threads)))[0] / 1e9)
        for s in ("vgrad", "torch", "torch1") if "triad_16m" in meta and stat((s, "triad_16m", max(threads)))]
    ] or [40.0])
    for name, frac in BANDWIDTH_TARGETS:
        if name not in names:
            continue
        v = stat(("vgrad", name, max(threads)))
        if not v:
            continue
        gbs = meta[name][0] / v[0] / 1e9
        w("| %s, %d threads, vs triad %.1f GB/s | %.1f GB/s = %.2f× | ≥ %.2f× | %s |" % (
            name, max(threads), tb, gbs, gbs / tb, frac, "yes" if gbs / tb >= frac else "**no**"))
    w("")
    w("The triad reference is the best of the `triad_16m` rates measured in this run (plain Java loop "
      "`a[i] = b[i] + s·c[i]` and PyTorch's `torch.add(b, c, alpha=s, out=a)`, 12 bytes per element as STREAM "
      "counts them); 40 GB/s if it was not run.")
    w("")
    w("## Workloads")
    w("")
    w("Defined identically in `jmh/src/main/java/dev/vgrad/jmh/Workloads.java` / `Models.java` and "
      "`bench/torch_bench.py`. Kernel-level workloads (`sgemm_*`, `mlp_fwd/bwd_*`, `conv_*`, `maxpool_*`, "
      "`add/mul/relu_16m`) call vgrad's kernels on preallocated arrays and PyTorch's ops with `out=` where it has "
      "one; `*_tensor`, `sum_*`, `softmax_*`, `chain1000` and the training steps go through the Tensor/autograd "
      "API on both sides.")
    w("")
    if a.profile_misses:
        missed = []
        for name, t, req, label in RATIO_TARGETS:
            r = ratio.get((name, t))
            if r is not None and r < req and (name, t) not in missed:
                missed.append((name, t))
        bw_missed = []
        for name, frac in BANDWIDTH_TARGETS:
            v = stat(("vgrad", name, max(threads)))
            if v and meta[name][0] / v[0] / 1e9 < frac * tb:
                bw_missed.append((name, max(threads)))
        if missed or bw_missed:
            w("## Profiles of the missed targets")
            w("")
            w("`bench/profile.sh WORKLOAD THREADS SECONDS` (JFR execution samples of the vgrad side, Java frames "
              "only; time in native code or spent descheduled does not show). Top stacks, innermost frame first:")
            w("")
            w("Bandwidth workloads are profiled after a prelude of the other elementwise workloads in the same JVM "
              "(as in the long-lived comparison server, whose JIT has seen several ops), with JFR's allocation "
              "samples by class.")
            w("")
            prelude = ",".join(n for n, _ in BANDWIDTH_TARGETS)
            for name, t in missed + bw_missed:
                bw = (name, t) in bw_missed
                print("profiling %s at %d threads" % (name, t), file=sys.stderr)
                prof = sh_long("%s %s %d %d %s" % (os.path.join(HERE, "profile.sh"), name, t, a.profile_seconds,
                                                   ",".join(n for n in prelude.split(",") if n != name) if bw
                                                   else ""))
                top = [l for l in prof.split("# top stacks", 1)[-1].splitlines()[1:] if l.strip()][:8]
                w("**%s, %d thread%s** (%s):" % (name, t, "s" if t > 1 else "", ("ratio %.2f×" % ratio[(name, t)])
                                                   if (name, t) in ratio else ""))
                w("")
                w("```")
                for l in top:
                    w(l[:260])
                if bw and "# allocation by class" in prof:
                    w("allocation by class:")
                    for l in prof.split("# allocation by class", 1)[1].split("# top stacks", 1)[0].splitlines():
                        if l.strip() and not l.startswith("-"):
                            w("  " + " ".join(l.split()))
                w("```")
                w("")
    w("## How to reproduce")
    w("")
    w("This file was written by `%s`." % a.command)
    w("")
    w("```")
    w("bench/compare.sh                          # full run (5 rounds, >= 1 s each), rewrites BENCHMARKS.md")
    w("bench/compare.sh --quick 'sgemm|conv'     # short smoke run of a subset (writes BENCHMARKS.md too)")
    w("bench/profile.sh cnn_step 2 15            # JFR profile of one vgrad workload")
    w("bench/startup-profile.sh spiral           # JFR of a start-up program from process start (JIT, GC, hot frames)")
    w("mvn -q -pl jmh -am package -Dmaven.test.skip=true && bench/jmh.sh '\\.GemmBench'   # JMH scalar/SIMD pairs")
    w("```")
    w("")
    jmh_files = sorted(glob.glob(os.path.join(ROOT, "jmh", "target", "jmh-result*.json")))
    if a.jmh_section and jmh_files:
        w("## JMH: SIMD vs scalar kernels (latest `bench/jmh.sh` runs)")
        w("")
        w("From %s, written %s; not part of the side-by-side run above, and their load was not recorded. "
          "Average time per operation with JMH's 99.9%% error (several forks); speed-up = scalar time / SIMD "
          "time. The two methods of a pair differ only in their fork's JVM arguments." % (
              ", ".join("`jmh/target/%s`" % os.path.basename(f) for f in jmh_files),
              " / ".join(sorted({datetime.datetime.fromtimestamp(os.path.getmtime(f)).strftime("%Y-%m-%d %H:%M")
                                 for f in jmh_files}))))
        w("")
        w("| benchmark | params | forks | SIMD | scalar | speed-up |")
        w("|---|---|---:|---:|---:|---:|")
        res = {}
        for jf in jmh_files:
            try:
                data = json.load(open(jf))
            except ValueError:
                continue
            for b in data:
                cls, meth = b["benchmark"].rsplit(".", 1)
                params = ", ".join("%s=%s" % kv for kv in sorted(b.get("params", {}).items()))
                pm = b["primaryMetric"]
                err = float(pm["scoreError"]) if pm["scoreError"] not in (None, "NaN") else float("nan")
                res.setdefault((cls.rsplit(".", 1)[-1], params), {})[meth] = (float(pm["score"]), err,
                                                                              pm["scoreUnit"], b["forks"])
        for (cls, params), d in sorted(res.items()):
            f = lambda m: ("%.3f ± %.3f %s" % d[m][:3]) if m in d else "n/a"
            sp = ("%.1f×" % (d["scalar"][0] / d["simd"][0])) if "simd" in d and "scalar" in d else ""
            forks = next(iter(d.values()))[3]
            if "simd" in d or "scalar" in d:
                w("| %s | %s | %d | %s | %s | %s |" % (cls, params, forks, f("simd"), f("scalar"), sp))
            else:
                # a SIMD-only benchmark (MicroKernelBench): its methods in the SIMD column
                w("| %s | %s | %d | %s |  |  |" % (cls, params, forks,
                                                 "; ".join("%s: %s" % (m, f(m)) for m in sorted(d))))
        w("")
    fm = os.path.join(ROOT, "bench", "fashion-mnist", "results.md")
    if os.path.exists(fm):
        # the training comparison takes hours, so it has its own command; its latest table is carried along here
        w("## Fashion-MNIST training, vgrad vs PyTorch (from `bench/fashion-mnist/run_bench.sh`)")
        w("")
        body = open(fm).read().splitlines()
        w("\n".join(l for l in body if not l.startswith("# ")))
        w("")
    # hand-written notes on runs started by hand: kept in files of their own, since run_bench.sh regenerates
    # results.md and this script BENCHMARKS.md
    for notes in (os.path.join(ROOT, "bench", "fashion-mnist", "notes.md"), os.path.join(ROOT, "bench", "notes.md")):
        if os.path.exists(notes):
            body = open(notes).read().splitlines()
            w("\n".join(l for l in body if not l.startswith("<!--")).strip("\n"))
            w("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    print("wrote %s" % a.out, file=sys.stderr)


if __name__ == "__main__":
    main()
