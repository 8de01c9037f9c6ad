#!/usr/bin/python3
"""PyTorch twins of the vgrad benchmark workloads (jmh/src/main/java/dev/vgrad/jmh/Workloads.java, Models.java).

Run by bench/compare.py as a long-lived server (``--serve``) that speaks the same line protocol as
dev.vgrad.jmh.CompareServer:

    info                      -> {"torch": ..., "blas": [...threadpoolctl info...], ...}
    run NAME THREADS MIN_MS   -> {"name":..., "threads":..., "sec_per_op":..., "iters":..., "work":..., "unit":...}
    quit

It can also be run by hand: ``bench/torch_bench.py [--threads N] [--min-ms MS] [NAME ...]``.

Fairness (see shared DESIGN.md section 4): the process must be started with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset (bench/compare.sh does that) so OpenBLAS picks its AVX-512 kernels; the thread count under
test is pinned both for torch's own pool (torch.set_num_threads) and for OpenBLAS's pool (threadpoolctl).
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    import threadpoolctl
except ImportError:  # Debian: apt-get install python3-threadpoolctl
    threadpoolctl = None

N16M = 16 * 1024 * 1024
N_ODD = N16M + 13
BATCH = 128


def _gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def _rand(shape, seed):
    return torch.rand(shape, generator=_gen(seed)) * 2 - 1


class W:
    """A workload: run() does one operation; work/unit as in Workload.java."""

    def __init__(self, work, unit, run):
        self.work, self.unit, self.run = work, unit, run


# ----------------------------------------------------------------------------------------------- GEMM

def gemm(trans_a, trans_b, m, n, k):
    a = _rand((k, m) if trans_a else (m, k), 1)
    b = _rand((n, k) if trans_b else (k, n), 2)
    c = torch.empty(m, n)
    ta = a.t() if trans_a else a  # a view: BLAS gets the transpose flag, no copy
    tb = b.t() if trans_b else b
    return W(2.0 * m * n * k, "GFLOP/s", lambda: torch.mm(ta, tb, out=c))


# ----------------------------------------------------------------------------------------------- conv / pool

def conv(backward, n=64, c=64, h=32, w_=32, o=64):
    x = _rand((n, c, h, w_), 3)
    w = _rand((o, c, 3, 3), 4)
    g = _rand((n, o, h, w_), 5)
    flops = 2.0 * n * o * h * w_ * c * 9
    if not backward:
        def fwd():
            with torch.no_grad():
                return F.conv2d(x, w, None, 1, 1)
        return W(flops, "GFLOP/s", fwd)
    xg = x.clone().requires_grad_(True)
    wg = w.clone().requires_grad_(True)

    def fwdbwd():
        xg.grad = None
        wg.grad = None
        y = F.conv2d(xg, wg, None, 1, 1)
        y.backward(g)
        return wg.grad
    return W(3 * flops, "GFLOP/s", fwdbwd)


def maxpool(backward):
    x = _rand((64, 64, 32, 32), 6)
    g = _rand((64, 64, 16, 16), 7)
    n_in, n_out = x.numel(), g.numel()
    fwd_bytes = 4.0 * n_in + 8.0 * n_out
    if not backward:
        def fwd():
            with torch.no_grad():
                return F.max_pool2d(x, 2, 2, return_indices=True)
        return W(fwd_bytes, "GB/s", fwd)
    xg = x.clone().requires_grad_(True)

    def fwdbwd():
        xg.grad = None
        y = F.max_pool2d(xg, 2, 2)
        y.backward(g)
        return xg.grad
    return W(fwd_bytes + 4.0 * n_in + 8.0 * n_out, "GB/s", fwdbwd)


# ----------------------------------------------------------------------------------------------- elementwise

def binary_out(op, n=N16M):
    a, b, c = _rand(n, 8), _rand(n, 9), torch.empty(n)
    f = torch.add if op == "add" else torch.mul
    return W(12.0 * n, "GB/s", lambda: f(a, b, out=c))


def triad():
    a, b, c = torch.empty(N16M), _rand(N16M, 15), _rand(N16M, 16)
    return W(12.0 * N16M, "GB/s", lambda: torch.add(b, c, alpha=3.0, out=a))


def relu_out():
    a, c = _rand(N16M, 10), torch.empty(N16M)
    return W(8.0 * N16M, "GB/s", lambda: torch.clamp(a, min=0.0, out=c))


def tensor_op(op):
    g = _gen(11)
    a, b = torch.randn(N16M, generator=g), torch.randn(N16M, generator=g)
    if op == "add":
        return W(12.0 * N16M, "GB/s", lambda: a + b)
    if op == "mul":
        return W(12.0 * N16M, "GB/s", lambda: a * b)
    return W(8.0 * N16M, "GB/s", lambda: torch.relu(a))


def reduce_sum(n=N16M):
    a = torch.randn(n, generator=_gen(12))
    return W(4.0 * n, "GB/s", lambda: a.sum())


def softmax(rows=4096, cols=1024):
    a = torch.randn(rows, cols, generator=_gen(13))
    return W(8.0 * rows * cols, "GB/s", lambda: torch.softmax(a, 1))


def chain():
    g = _gen(14)
    x = torch.randn(16, generator=g).requires_grad_(True)
    a = torch.rand(16, generator=g) + 0.5
    b = torch.randn(16, generator=g)

    def run():
        x.grad = None
        y = x
        for i in range(1000):
            y = y * a if (i & 1) == 0 else y + b
        y.sum().backward()
        return x.grad
    return W(1001, "ops/s", run)


# ----------------------------------------------------------------------------------------------- models

def mlp_step():
    torch.manual_seed(21)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = _gen(21)
    x = torch.randn(BATCH, 784, generator=g)
    y = torch.randint(0, 10, (BATCH,), generator=g)

    def run():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return W(1, "steps/s", run)


def cnn_model():
    """The examples' Fashion-MNIST CNN (examples/src/main/java/dev/vgrad/examples/Models.java)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 10))


def cnn_step():
    torch.manual_seed(22)
    model = cnn_model()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = _gen(22)
    x = torch.randn(BATCH, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (BATCH,), generator=g)

    def run():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return W(1, "steps/s", run)


def adam_10m():
    n = 10_000_000
    p = torch.nn.Parameter(_rand(n, 31))
    p.grad = _rand(n, 32)
    opt = torch.optim.Adam([p], lr=1e-3)
    return W(1, "steps/s", opt.step)


WORKLOADS = {}
for _n in (256, 512, 1024, 2048, 1021):
    WORKLOADS["sgemm_%d" % _n] = (lambda n=_n: gemm(False, False, n, n, n))
WORKLOADS.update({
    "mlp_fwd": lambda: gemm(False, False, 256, 512, 784),
    "mlp_bwd_dx": lambda: gemm(False, True, 256, 784, 512),
    "mlp_bwd_dw": lambda: gemm(True, False, 784, 512, 256),
    "gemv_fwd": lambda: gemm(False, True, 4096, 1, 1024),
    "gemv_dw": lambda: gemm(True, False, 1, 1024, 4096),
    "gemv_small": lambda: gemm(False, True, 1000, 1, 16),
    "conv_fwd": lambda: conv(False),
    "conv_fwdbwd": lambda: conv(True),
    "conv_fwd_odd": lambda: conv(False, 16, 33, 31, 29, 47),
    "maxpool_fwd": lambda: maxpool(False),
    "maxpool_fwdbwd": lambda: maxpool(True),
    "add_16m": lambda: binary_out("add"),
    "mul_16m": lambda: binary_out("mul"),
    "relu_16m": relu_out,
    "add_odd": lambda: binary_out("add", N_ODD),
    "triad_16m": triad,
    "add_16m_tensor": lambda: tensor_op("add"),
    "mul_16m_tensor": lambda: tensor_op("mul"),
    "relu_16m_tensor": lambda: tensor_op("relu"),
    "sum_16m": reduce_sum,
    "softmax_4096x1024": softmax,
    "sum_odd": lambda: reduce_sum(N_ODD),
    "softmax_odd": lambda: softmax(4095, 1023),
    "chain1000": chain,
    "mlp_step": mlp_step,
    "mlp_step_core": mlp_step,  # vgrad's core-ops variant of the same step; PyTorch's twin is mlp_step
    "cnn_step": cnn_step,
    "adam_10m": adam_10m,
})


def attn_fwdbwd(b=8, h=4, t=256, d=64):
    """Causal attention forward + backward (Workloads.attention): F.scaled_dot_product_attention when this torch
    has it (2.x), else the composed softmax(q·kᵀ/√d + causal mask)·v that torch 1.13's MultiheadAttention runs."""
    q = (_rand((b, h, t, d), 21) * 0.5 + 0.5).requires_grad_(True)
    k = (_rand((b, h, t, d), 22) * 0.5 + 0.5).requires_grad_(True)
    v = (_rand((b, h, t, d), 23) * 0.5 + 0.5).requires_grad_(True)
    g = _rand((b, h, t, d), 24) * 0.5 + 0.5
    fused = getattr(F, "scaled_dot_product_attention", None)
    future = torch.ones(t, t, dtype=torch.bool).triu(1)

    def run():
        q.grad = k.grad = v.grad = None
        if fused is not None:
            y = fused(q, k, v, is_causal=True)
        else:
            s = (q @ k.transpose(-2, -1)) * (1.0 / d ** 0.5)
            y = torch.softmax(s.masked_fill(future, float("-inf")), -1) @ v
        y.backward(g)
        return v.grad
    return W(7.0 * b * h * t * t * d, "GFLOP/s", run)


WORKLOADS["attn_fwdbwd"] = attn_fwdbwd
def lstm_fwdbwd(proj_size=0):
    """Twin of Workloads.lstmFwdBwd: nn.LSTM(64, 256, proj_size=proj_size), input (64, 32, 64) with grad,
    output.sum().backward()."""
    torch.manual_seed(41)
    lstm = nn.LSTM(64, 256, proj_size=proj_size)
    x = torch.randn(64, 32, 64, generator=_gen(41)).requires_grad_(True)

    def run():
        x.grad = None
        lstm.zero_grad(set_to_none=True)
        lstm(x)[0].sum().backward()
        return x.grad
    return W(1, "steps/s", run)


WORKLOADS["lstm_fwdbwd"] = lstm_fwdbwd


def gelu_fwdbwd():
    """Twin of Workloads.geluFwdBwd: exact F.gelu forward + backward on (4096, 512)."""
    x = torch.randn(4096, 512, generator=_gen(51)).requires_grad_(True)
    g = torch.randn(4096, 512, generator=_gen(52))

    def run():
        x.grad = None
        F.gelu(x).backward(g)
        return x.grad
    return W(4096.0 * 512, "elem/s", run)


WORKLOADS["gelu_fwdbwd"] = gelu_fwdbwd


WORKLOADS["lstm_proj_fwdbwd"] = lambda: lstm_fwdbwd(proj_size=128)


# ----------------------------------------------------------------------------------------------- harness

def set_threads(n, torch_threads=None):
    """Pins torch's intra-op pool to torch_threads (default n) and OpenBLAS's pool to n."""
    torch.set_num_threads(torch_threads or n)
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(limits=n, user_api="blas")


def blas_info():
    if threadpoolctl is None:
        return [{"error": "threadpoolctl missing (apt-get install python3-threadpoolctl)"}]
    return [{k: v for k, v in d.items() if k in ("internal_api", "filepath", "version", "architecture",
                                                   "threading_layer", "num_threads")}
            for d in threadpoolctl.threadpool_info()]


def allocator():
    """Which malloc serves this process: tcmalloc if LD_PRELOAD (or anything) mapped it, else glibc's."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    return "tcmalloc" if "libtcmalloc" in maps else "glibc"


def info():
    return {"torch": torch.__version__, "allocator": allocator(), "python": sys.version.split()[0], "blas": blas_info(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
            "cpu_capability": torch.backends.cpu.get_cpu_capability()
            if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu, "get_cpu_capability") else None,
            "mkldnn": torch.backends.mkldnn.is_available()}


def measure(w, min_ms, min_iters):
    start = time.perf_counter()
    deadline = start + min_ms / 1000.0
    iters = 0
    while True:
        w.run()
        iters += 1
        now = time.perf_counter()
        if now >= deadline and iters >= min_iters:
            return now - start, iters


def warm_up(w):
    """Same rule as CompareServer.warmUp: 500 ms batches until two in a row agree within 10% (2 s to 15 s)."""
    start, prev = time.perf_counter(), float("nan")
    while True:
        dt, iters = measure(w, 500, 5)
        mean, spent = dt / iters, time.perf_counter() - start
        if spent >= 15 or (spent >= 2 and abs(mean - prev) <= 0.1 * min(mean, prev)):
            return
        prev = mean


def serve():
    cache, failed = {}, {}
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "quit":
            return
        if f[0] == "info":
            print(json.dumps(info()), flush=True)
            continue
        if f[0] != "run":
            print(json.dumps({"error": "unknown command " + line.strip()}), flush=True)
            continue
        name, threads, min_ms = f[1], int(f[2]), float(f[3])
        torch_threads = int(f[4]) if len(f) > 4 else threads
        try:
            if name in failed:
                raise RuntimeError(failed[name])
            set_threads(threads, torch_threads)
            w = cache.get(name)
            if w is None:
                try:
                    w = WORKLOADS[name]()
                except Exception as e:  # noqa: BLE001
                    failed[name] = repr(e)
                    raise
                cache[name] = w
                warm_up(w)
            dt, iters = measure(w, min_ms, 1)
            print(json.dumps({"name": name, "threads": threads, "torch_threads": torch_threads, "sec_per_op": dt / iters, "iters": iters,
                              "work": w.work, "unit": w.unit}), flush=True)
        except Exception as e:  # noqa: BLE001
            print(json.dumps({"name": name, "error": repr(e)}), flush=True)


def main(argv):
    if "--serve" in argv:
        serve()
        return
    threads, min_ms, names = 1, 1000.0, []
    it = iter(argv)
    for a in it:
        if a == "--threads":
            threads = int(next(it))
        elif a == "--min-ms":
            min_ms = float(next(it))
        else:
            names.append(a)
    print(json.dumps(info()))
    set_threads(threads)
    for name in names or list(WORKLOADS):
        w = WORKLOADS[name]()
        measure(w, 1000, 5)
        dt, iters = measure(w, min_ms, 1)
        per = dt / iters
        rate = w.work / per / (1e9 if w.unit in ("GFLOP/s", "GB/s") else 1)
        print("%-20s %2d thr  %12.3f ms  %10.2f %s" % (name, threads, per * 1e3, rate, w.unit))


if __name__ == "__main__":
    main(sys.argv[1:])
