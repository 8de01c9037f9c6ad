#!/usr/bin/python3
"""PyTorch twins of the vgrad Fashion-MNIST examples (dev.vgrad.examples.FashionMnistTrain).

Same architectures (examples/src/main/java/dev/vgrad/examples/Models.java), PyTorch's default init (which
vgrad's nn reproduces), same normalisation (mean/std of the training pixels), same batch size, shuffling with
drop_last on the training set, same optimizer, schedule (stepped every batch) and defaults, and the same log
line format. Written for Debian's python3-torch 1.13:

    /usr/bin/python3 bench/fashion-mnist/fashion_mnist_torch.py cnn --epochs 10 [--threads 2] [--data DIR]

--augment applies the same training augmentation as vgrad's --augment (RandomCrop 28 with 2 pixels of black
padding, then a horizontal flip with probability 1/2), written with plain tensor ops since torchvision is not
installed.

The random streams differ from vgrad's (different generators), so results agree statistically, not bitwise.
"""
import argparse
import gzip
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
EMBEDDED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "src", "main", "resources",
                        "fashion-mnist-subset")

DEFAULTS = {  # must match Trainer.Config.defaults
    "mlp": dict(epochs=20, batch_size=128, lr=1e-3, weight_decay=1e-2, optimizer="adamw", schedule="cosine"),
    "cnn": dict(epochs=10, batch_size=128, lr=3e-3, weight_decay=1e-2, optimizer="adamw", schedule="onecycle"),
    "resnet": dict(epochs=15, batch_size=128, lr=0.1, weight_decay=5e-4, optimizer="sgd", schedule="onecycle"),
}


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    t = torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8)
    return t.reshape(dims)


def find(d, name):
    for p in (os.path.join(d, name + ".gz"), os.path.join(d, name)):
        if os.path.isfile(p):
            return p
    raise FileNotFoundError(os.path.join(d, name))


def load(data_dir):
    if data_dir is None:
        data_dir = SYSTEM_DIR if os.path.isfile(os.path.join(SYSTEM_DIR, "train-images-idx3-ubyte.gz")) else EMBEDDED
    xtr = read_idx(find(data_dir, "train-images-idx3-ubyte")).float().div_(255.0).unsqueeze(1)
    ytr = read_idx(find(data_dir, "train-labels-idx1-ubyte")).long()
    xte = read_idx(find(data_dir, "t10k-images-idx3-ubyte")).float().div_(255.0).unsqueeze(1)
    yte = read_idx(find(data_dir, "t10k-labels-idx1-ubyte")).long()
    xd = xtr.double()
    mean = xd.mean().item()
    std = xd.std(unbiased=False).item()
    return (xtr - mean) / std, ytr, (xte - mean) / std, yte, data_dir, mean, std


def augment(x, fill, g, pad=2):
    """vgrad's --augment (FashionMnist.augmentation) without torchvision: per sample, pad `pad` pixels of `fill`
    (black after standardisation), crop back to H x W at offsets top, left ~ U{0..2*pad} (drawn for the whole
    batch), then flip left-right with probability 1/2. Same transforms, different random stream than vgrad."""
    n, c, h, w = x.shape
    padded = F.pad(x, [pad, pad, pad, pad], value=fill)
    top = torch.randint(0, 2 * pad + 1, (n,), generator=g)
    left = torch.randint(0, 2 * pad + 1, (n,), generator=g)
    rows = (top[:, None] + torch.arange(h))[:, None, :, None].expand(n, c, h, w)
    cols = (left[:, None] + torch.arange(w))[:, None, None, :].expand(n, c, h, w)
    out = padded[torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols]
    flip = torch.rand(n, generator=g) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def mlp():
    return nn.Sequential(nn.Flatten(),
                         nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 10))


class DropPath(nn.Module):
    """timm's drop_path: one Bernoulli draw per sample, kept samples scaled by 1/keep."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask.div_(keep)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, drop):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Identity()
        self.drop_path = DropPath(drop)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(self.drop_path(y) + self.shortcut(x))


def resnet():
    widths = [32, 64, 128]
    net = nn.Sequential()
    net.add_module("stem", nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]),
                                         nn.ReLU()))
    cin = widths[0]
    for s, w in enumerate(widths):
        net.add_module(f"layer{s + 1}", BasicBlock(cin, w, 1 if s == 0 else 2, 0.1 * s / (len(widths) - 1)))
        cin = w
    net.add_module("pool", nn.AdaptiveAvgPool2d(1))
    net.add_module("flatten", nn.Flatten())
    net.add_module("fc", nn.Linear(cin, 10))
    return net


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("program", nargs="?", default="cnn", choices=sorted(DEFAULTS))
    for k in ("epochs", "batch-size"):
        ap.add_argument("--" + k, type=int)
    for k in ("lr", "weight-decay"):
        ap.add_argument("--" + k, type=float)
    ap.add_argument("--optimizer", choices=["adamw", "sgd"])
    ap.add_argument("--schedule", choices=["cosine", "onecycle"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--data")
    ap.add_argument("--train-limit", type=int)
    ap.add_argument("--test-limit", type=int)
    ap.add_argument("--augment", action="store_true",
                    help="RandomCrop(28, padding=2, fill=black) + RandomHorizontalFlip(0.5) on training batches")
    ap.add_argument("--max-steps", type=int, help=argparse.SUPPRESS)  # smoke tests: stop each epoch early
    a = ap.parse_args(argv)
    cfg = dict(DEFAULTS[a.program])
    for k in cfg:
        v = getattr(a, k)
        if v is not None:
            cfg[k] = v

    torch.set_num_threads(a.threads)
    # torch.set_num_threads sizes torch's OpenMP pool only; Debian's OpenBLAS (torch's matmuls) keeps one thread per
    # core unless pinned, so --threads 1 would still multiply matrices on every core
    try:
        import threadpoolctl  # apt-get install python3-threadpoolctl
        blas_limit = threadpoolctl.threadpool_limits(a.threads, user_api="blas")  # noqa: F841 (lives with main)
    except ImportError:
        print("warning: python3-threadpoolctl missing, OpenBLAS's thread pool is not pinned", file=sys.stderr)
    torch.manual_seed(a.seed)
    xtr, ytr, xte, yte, src, mean, std = load(a.data)
    if a.train_limit:
        xtr, ytr = xtr[:a.train_limit], ytr[:a.train_limit]
    if a.test_limit:
        xte, yte = xte[:a.test_limit], yte[:a.test_limit]
    model = {"mlp": mlp, "cnn": cnn, "resnet": resnet}[a.program]()
    bs = cfg["batch_size"]
    steps_per_epoch = len(xtr) // bs if len(xtr) >= bs else 1
    total = cfg["epochs"] * steps_per_epoch
    if cfg["optimizer"] == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
        opt_name = "AdamW"
    else:
        opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9, nesterov=True,
                              weight_decay=cfg["weight_decay"])
        opt_name = "SGD(nesterov, momentum 0.9)"
    if cfg["schedule"] == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=total)
    nparams = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__} {a.program} | data: {src} ({len(xtr)} train, {len(xte)} test) | "
          f"{nparams} parameters")
    print(f"{opt_name} lr {cfg['lr']} wd {cfg['weight_decay']}, {cfg['schedule']} schedule, batch {bs}, "
          f"{cfg['epochs']} epochs, seed {a.seed} | {torch.get_num_threads()} threads")
    if a.augment:
        print("augmentation: RandomCrop(28, padding=2, fill=black) + RandomHorizontalFlip(0.5)")
    aug_g = torch.Generator().manual_seed(a.seed + 3)
    g = torch.Generator().manual_seed(a.seed + 2)
    acc = float("nan")
    for epoch in range(1, cfg["epochs"] + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        loss_sum, seen = 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * bs:(s + 1) * bs]
            x, y = xtr[idx], ytr[idx]
            if a.max_steps is not None and s >= a.max_steps:
                break
            if a.augment:
                x = augment(x, -mean / std, aug_g)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            seen += len(idx)
        t1 = time.perf_counter()
        model.eval()
        correct, tloss = 0, 0.0
        with torch.no_grad():
            for i in range(0, len(xte), max(bs, 500)):
                logits = model(xte[i:i + max(bs, 500)])
                tloss += F.cross_entropy(logits, yte[i:i + max(bs, 500)], reduction="sum").item()
                correct += (logits.argmax(1) == yte[i:i + max(bs, 500)]).sum().item()
        t2 = time.perf_counter()
        acc = correct / len(xte)
        print(f"epoch {epoch:3d}/{cfg['epochs']}  train loss {loss_sum / seen:.6f}  test loss {tloss / len(xte):.6f}  "
              f"test acc {acc:.4f}  | {t2 - t0:.1f} s  {seen / (t1 - t0):.0f} img/s", flush=True)
    print(f"final test accuracy {acc:.4f} after {cfg['epochs']} epochs")


if __name__ == "__main__":
    sys.exit(main())
