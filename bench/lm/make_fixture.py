#!/usr/bin/python3
"""Writes examples/src/test/resources/lm/lm_fixture.json: a tiny CharGpt and LstmLm from the PyTorch twins
(char_gpt_torch.py, lstm_lm_torch.py) with fixed weights (torch.manual_seed), one fixed batch from lm_data's
pipeline, the loss, and the gradient of every parameter. LmConformanceTest loads the same weights into the Java
models and must match: it proves the twins are the same model (names, shapes, gate order, attention, tying).

    /usr/bin/python3 bench/lm/make_fixture.py
"""
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lm_data  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from char_gpt_torch import CharGpt  # noqa: E402
from lstm_lm_torch import LstmLm  # noqa: E402

OUT = lm_data.ROOT / "examples/src/test/resources/lm/lm_fixture.json"
B, T = 2, 8


def f32(x):
    return float("%.9g" % x)


def case(name, spec, model):
    text, _ = lm_data.load(lm_data.SLICE)
    ids = torch.tensor(lm_data.encode(text), dtype=torch.int64)
    x, y = lm_data.batch(torch, ids, 7, 3, B, T)
    logits = model(x)
    loss = F.cross_entropy(logits.view(B * T, -1), y.view(B * T))
    loss.backward()
    params = dict(model.named_parameters())  # a tied lm_head.weight is listed once, as transformer.wte.weight
    return {
        "name": name,
        "spec": spec,
        "x": x.flatten().tolist(),
        "y": y.flatten().tolist(),
        "shape": [B, T],
        "loss": f32(loss.item()),
        "logits_sum_abs": f32(logits.abs().sum().item()),
        "params": {k: {"shape": list(p.shape), "data": [f32(v) for v in p.detach().flatten().tolist()],
                       "grad": [f32(v) for v in p.grad.flatten().tolist()]} for k, p in params.items()},
    }


def main():
    torch.manual_seed(1234)
    gpt = CharGpt(len(lm_data.VOCAB), 16, 2, 2, 8, True)
    torch.manual_seed(1235)
    gpt_untied = CharGpt(len(lm_data.VOCAB), 16, 1, 2, 8, False)
    torch.manual_seed(1236)
    lstm = LstmLm(len(lm_data.VOCAB), 6, 10, 2)
    cases = [
        case("gpt", {"model": "gpt", "block_size": "16", "n_layer": "2", "n_head": "2", "n_embd": "8", "tied": "true"},
             gpt),
        case("gpt_untied", {"model": "gpt", "block_size": "16", "n_layer": "1", "n_head": "2", "n_embd": "8",
                            "tied": "false"}, gpt_untied),
        case("lstm", {"model": "lstm", "embed": "6", "hidden": "10", "layers": "2", "block_size": "8"}, lstm),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
