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
