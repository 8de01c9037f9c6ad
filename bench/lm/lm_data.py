#!/usr/bin/python3
"""The language-model data pipeline shared by the PyTorch twins; dev.vgrad.examples.LmData is its Java twin.

Both sides must agree bit for bit on:
  * the corpus text: the King James Bible from Debian's bible-kjv (`bible -f "Gen1:1-Rev22:21"`) with the verse
    reference ("Ge1:1 ") stripped from every line, cached in ~/.cache/vgrad/kjv.txt; without it, the Genesis slice
    shipped in examples/src/main/resources/kjv-slice/genesis.txt;
  * the vocabulary: the fixed 64 characters of VOCAB (index = position), so models fit any slice;
  * the split: the first 90% of the characters train, the rest validates;
  * the batches: row i of training step s starts at splitmix64(splitmix64(splitmix64(seed) ^ s) ^ i) mod (n - T)
    (unsigned), so the data order is a pure function of (seed, step): identical on both sides and nothing to save
    for a bit-exact resume. Validation uses the fixed stream VAL_SEED, the same batches at every evaluation.

    python3 bench/lm/lm_data.py prepare        # writes ~/.cache/vgrad/kjv.txt
    python3 bench/lm/lm_data.py slice          # rewrites the shipped Genesis slice
"""
import os
import subprocess
import sys
from pathlib import Path

VOCAB = "\n !'(),-.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
STOI = {c: i for i, c in enumerate(VOCAB)}
TRAIN_FRACTION_NUM, TRAIN_FRACTION_DEN = 9, 10
VAL_SEED = 0x5EED_0F_7A1  # the validation stream (any fixed constant; the same in LmData.java)
M64 = (1 << 64) - 1
ROOT = Path(__file__).resolve().parent.parent.parent
CACHE = Path(os.path.expanduser("~/.cache/vgrad/kjv.txt"))
SLICE = ROOT / "examples/src/main/resources/kjv-slice/genesis.txt"
FULL_RANGE = "Gen1:1-Rev22:21"
SLICE_RANGE = "Gen1:1-Gen50:26"


def splitmix64(x):
    """One step of SplitMix64 (Steele, Lea, Flood 2014) on an unsigned 64-bit value."""
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def offsets(seed, step, batch, n, block):
    """Start offsets of the batch rows of step `step` in a text of n tokens (each row needs block + 1 tokens)."""
    if n < block + 1:
        raise ValueError(f"text of {n} characters is too short for block size {block}")
    base = splitmix64(splitmix64(seed & M64) ^ (step & M64))
    return [splitmix64(base ^ i) % (n - block) for i in range(batch)]


def bible_text(verses):
    out = subprocess.run(["bible", "-f", verses], check=True, capture_output=True, text=True).stdout
    lines = []
    for line in out.splitlines():
        ref, sep, text = line.partition(" ")
        if not sep or ":" not in ref:
            raise ValueError(f"unexpected line from bible: {line!r}")
        lines.append(text)
    return "\n".join(lines) + "\n"


def encode(text):
    try:
        return [STOI[c] for c in text]
    except KeyError as e:
        pos = next(i for i, c in enumerate(text) if c not in STOI)
        raise ValueError(f"character {e.args[0]!r} at offset {pos} is not in the vocabulary") from None


def decode(ids):
    return "".join(VOCAB[i] for i in ids)


def load(path=None):
    """(text, source): an explicit path, else the cache, else the shipped slice."""
    if path is None:
        path = CACHE if CACHE.is_file() else SLICE
    return Path(path).read_text(encoding="utf-8"), str(path)


def split(ids):
    n_train = len(ids) * TRAIN_FRACTION_NUM // TRAIN_FRACTION_DEN
    return ids[:n_train], ids[n_train:]


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else "prepare"
    if cmd == "prepare":
        text = bible_text(FULL_RANGE)
        encode(text)
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(text, encoding="utf-8")
        print(f"wrote {CACHE} ({len(text)} characters)")
    elif cmd == "slice":
        text = bible_text(SLICE_RANGE)
        encode(text)
        SLICE.write_text(text, encoding="utf-8")
        print(f"wrote {SLICE} ({len(text)} characters)")
    else:
        sys.exit(f"usage: {sys.argv[0]} prepare|slice")


if __name__ == "__main__":
    main()


# ---------------------------------------------------------------------------------------------- the shared loop
# Used by char_gpt_torch.py and lstm_lm_torch.py; mirrors dev.vgrad.examples.LmTrain line for line (same optimizer,
# schedule, clipping, batches, validation batches and report format), so the logs compare column for column.

def common_args(parser, default_lr):
    a = parser.add_argument
    a("--steps", type=int, default=2000)
    a("--batch-size", type=int, default=32)
    a("--block-size", type=int, default=128)
    a("--lr", type=float, default=default_lr)
    a("--weight-decay", type=float, default=0.01)
    a("--warmup", type=int, default=None)
    a("--grad-clip", type=float, default=1.0)
    a("--seed", type=int, default=0)
    a("--threads", type=int, default=None)
    a("--blas-threads", type=int, default=None, help="OpenBLAS's own thread pool (default: --threads)")
    a("--eval-every", type=int, default=200)
    a("--eval-batches", type=int, default=20)
    a("--data", default=None)
    a("--sample-length", type=int, default=0)


def pin_blas(n):
    """Limits OpenBLAS's thread pool to n (None: leave it); returns a description of the BLAS pools for the log."""
    try:
        import threadpoolctl
    except ImportError:  # apt-get install python3-threadpoolctl
        return "unpinned: python3-threadpoolctl missing"
    if n:
        global _BLAS_LIMIT
        _BLAS_LIMIT = threadpoolctl.threadpool_limits(n, user_api="blas")  # kept: the limit lasts while it lives
    pools = [f"{i['internal_api']} {i['num_threads']}" for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    return ", ".join(pools) or "none"


_BLAS_LIMIT = None


def batch(torch, ids, seed, step, batch_size, block):
    offs = offsets(seed, step, batch_size, len(ids), block)
    x = torch.stack([ids[o:o + block] for o in offs])
    y = torch.stack([ids[o + 1:o + 1 + block] for o in offs])
    return x, y


def train(name, model, args, describe):
    import time
    import warnings
    import torch
    # SequentialLR in torch 1.13 passes an epoch to its children and warns about it; the schedule is right
    warnings.filterwarnings("ignore", message="The epoch parameter")
    import torch.nn.functional as F
    if args.threads:
        torch.set_num_threads(args.threads)
    # torch.set_num_threads sizes torch's OpenMP pool only: Debian's OpenBLAS (which runs torch's matmuls) keeps its
    # own pthread pool of one thread per core, so a "1 thread" run would multiply matrices on every core. Pin it
    # as bench/compare.sh does (python3-threadpoolctl).
    blas_threads = args.blas_threads or args.threads
    blas_pool = pin_blas(blas_threads)
    text, source = load(args.data)
    ids = torch.tensor(encode(text), dtype=torch.int64)
    n_train = len(ids) * TRAIN_FRACTION_NUM // TRAIN_FRACTION_DEN
    tr, va = ids[:n_train], ids[n_train:]
    steps, B, T, V = args.steps, args.batch_size, args.block_size, len(VOCAB)
    warmup = args.warmup if args.warmup is not None else min(100, steps // 10)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.99), weight_decay=args.weight_decay)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps - warmup, args.lr / 10)
    if warmup:
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [
            torch.optim.lr_scheduler.LinearLR(opt, 1.0 / warmup, 1.0, warmup), cosine], [warmup])
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, args.lr / 10)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"torch {name} | {describe} | data: {source} ({len(tr)} train, {len(va)} val characters, vocab {V}) | "
          f"{n_params} parameters")
    print(f"AdamW lr {args.lr} wd {args.weight_decay}, warm-up {warmup} + cosine, clip {args.grad_clip}, batch {B} x "
          f"{T}, {steps} steps, seed {args.seed} | {torch.get_num_threads()} threads (BLAS {blas_pool}), torch {torch.__version__}",
          flush=True)

    def evaluate():
        model.eval()
        s = 0.0
        with torch.no_grad():
            for k in range(args.eval_batches):
                x, y = batch(torch, va, VAL_SEED, k, B, T)
                s += F.cross_entropy(model(x).view(B * T, V), y.view(B * T)).item()
        model.train()
        return s / args.eval_batches

    model.train()
    params = list(model.parameters())
    loss_sum, loss_n, t_train, tok, t_all, tok_all, last = 0.0, 0, 0.0, 0, 0.0, 0, None
    for step in range(steps):
        t0 = time.perf_counter()
        x, y = batch(torch, tr, args.seed, step, B, T)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x).view(B * T, V), y.view(B * T))
        loss.backward()
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, args.grad_clip)
        opt.step()
        sched.step()
        l = loss.item()
        t_train += time.perf_counter() - t0
        tok += B * T
        loss_sum += l
        loss_n += 1
        if (step + 1) % args.eval_every == 0 or step + 1 == steps:
            val = evaluate()
            last = val
            print(f"step {step + 1:5d}/{steps}  train loss {loss_sum / loss_n:.4f}  val loss {val:.4f}  | "
                  f"lr {sched.get_last_lr()[0]:.3e}  {tok / t_train:.0f} tok/s", flush=True)
            t_all += t_train
            tok_all += tok
            loss_sum, loss_n, t_train, tok = 0.0, 0, 0.0, 0
    print(f"final val loss {last:.4f} after {steps} steps | {tok_all / t_all:.0f} tok/s over the run")
    if args.sample_length > 0:
        g = torch.Generator().manual_seed(args.seed)
        print(f"--- sample (temperature 0.8, top-k 10, seed {args.seed}) ---")
        print(generate(torch, model, T, "And God said", args.sample_length, 0.8, 10, g))
    return last


def generate(torch, model, block, prompt, length, temperature, top_k, gen):
    ids = encode(prompt or "\n")
    model.eval()
    with torch.no_grad():
        for _ in range(length):
            x = torch.tensor([ids[-block:]], dtype=torch.int64)
            logits = model(x)[:, -1, :] / temperature
            if 0 < top_k < logits.size(-1):
                kth = torch.topk(logits, top_k).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            ids.append(int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen).item()))
    model.train()
    return decode(ids)
