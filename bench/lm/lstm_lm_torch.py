#!/usr/bin/python3
"""PyTorch twin of dev.vgrad.examples.LstmLm / `LmTrain lstm`: embed → nn.LSTM (batch_first) → head, with the same
parameter names, default init laws, optimizer, schedule, data order and report lines.

    /usr/bin/python3 bench/lm/lstm_lm_torch.py --steps 2000 --threads 1
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm_data  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


class LstmLm(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx):
        out, _ = self.lstm(self.embed(idx))
        return self.head(out)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    lm_data.common_args(p, 2e-3)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    model = LstmLm(len(lm_data.VOCAB), args.embed, args.hidden, args.layers)
    lm_data.train("lstm", model, args, f"embed={args.embed} hidden={args.hidden} num_layers={args.layers} "
                  f"vocab={len(lm_data.VOCAB)}")


if __name__ == "__main__":
    main()
