"""PyTorch twins of jmh/src/main/java/dev/vgrad/jmh/startup/StartupPrograms.java (see its Javadoc).

    /usr/bin/python3 bench/startup.py linreg|spiral|attention

The same integer formulas build the same data, so both sides do the same work; the script is timed from process
start (including `import torch`) by `bench/compare.sh --startup`.
"""
import math
import sys

import torch


class Lcg:
    M = (1 << 64) - 1

    def __init__(self, seed):
        self.s = seed

    def next(self, bound):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & Lcg.M
        return (self.s >> 33) % bound

    def uniform(self):
        return self.next(1 << 24) / float(1 << 24)


def linreg():
    n, d = 1000, 16
    r = Lcg(1)
    x = [[0.0] * d for _ in range(n)]
    y = [0.0] * n
    for i in range(n):
        t = 0.0
        for j in range(d):
            x[i][j] = r.uniform() * 2 - 1
            t += x[i][j] * (j - 7.5) / 8
        y[i] = t + 0.1 * (r.uniform() - 0.5)
    xs = torch.tensor(x, dtype=torch.float32)
    ys = torch.tensor(y, dtype=torch.float32).reshape(n, 1)
    model = torch.nn.Linear(d, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mse = torch.nn.MSELoss()
    return fit(model, opt, mse, xs, ys, 500)


def fit(model, opt, loss_fn, xs, ys, steps):
    """Full-batch training steps, the loop a user writes; returns the last loss."""
    last = 0.0
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        last = loss.item()
    return last


def spiral():
    per_class, classes = 100, 3
    n = per_class * classes
    r = Lcg(2)
    x = [[0.0, 0.0] for _ in range(n)]
    y = [0] * n
    for c in range(classes):
        for i in range(per_class):
            k = c * per_class + i
            radius = i / per_class
            theta = c * 4 + radius * 4 + 0.2 * (r.uniform() - 0.5)
            x[k] = [radius * math.sin(theta), radius * math.cos(theta)]
            y[k] = c
    xs = torch.tensor(x, dtype=torch.float32)
    ys = torch.tensor(y, dtype=torch.int64)
    model = torch.nn.Sequential(torch.nn.Linear(2, 100), torch.nn.ReLU(), torch.nn.Linear(100, 100),
                                torch.nn.ReLU(), torch.nn.Linear(100, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    ce = torch.nn.CrossEntropyLoss()
    return fit(model, opt, ce, xs, ys, 960)


def attention():
    vocab, t, b, d = 32, 32, 16, 64
    r = Lcg(3)
    tok = torch.nn.Embedding(vocab, d)
    pos = torch.nn.Embedding(t, d)
    q, k, v = torch.nn.Linear(d, d), torch.nn.Linear(d, d), torch.nn.Linear(d, d)
    out = torch.nn.Linear(d, vocab)
    params = [p for m in (tok, pos, q, k, v, out) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=3e-3)
    ce = torch.nn.CrossEntropyLoss()
    pos_idx = torch.arange(t)
    causal = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
    scale = 1 / math.sqrt(d)
    last = 0.0
    for _ in range(400):
        seq = [[0] * (t + 1) for _ in range(b)]
        for i in range(b):
            seq[i][0] = r.next(vocab)
            for j in range(1, t + 1):
                seq[i][j] = (3 * seq[i][j - 1] + 1 + (1 if r.next(8) == 0 else 0)) % vocab
        inp = torch.tensor([row[:t] for row in seq], dtype=torch.int64)
        tgt = torch.tensor([row[1:] for row in seq], dtype=torch.int64).reshape(b * t)
        opt.zero_grad(set_to_none=True)
        h = tok(inp) + pos(pos_idx)
        scores = (q(h) @ k(h).transpose(1, 2)) * scale + causal
        att = scores.softmax(-1) @ v(h)
        logits = out(att + h).reshape(b * t, vocab)
        loss = ce(logits, tgt)
        loss.backward()
        opt.step()
        last = loss.item()
    return last


if __name__ == "__main__":
    torch.manual_seed(0)
    which = sys.argv[1] if len(sys.argv) > 1 else "spiral"
    if len(sys.argv) > 2:
        torch.set_num_threads(int(sys.argv[2]))
    fn = {"linreg": linreg, "spiral": spiral, "attention": attention}.get(which)
    if fn is None:
        sys.exit("unknown program %s (linreg, spiral or attention)" % which)
    print("%s final loss %.4f" % (which, fn()))
