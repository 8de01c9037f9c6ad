#!/usr/bin/python3
"""Writes the embedded Fashion-MNIST subset shipped in the examples jar.

Takes the first N_TRAIN training and N_TEST test images and labels (in file order) from the full data set
(Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist) and writes them as gzip IDX files with a
fixed gzip timestamp, so the output is byte-for-byte reproducible:

    /usr/bin/python3 examples/tools/make_subset.py [SRC_DIR] [OUT_DIR]
"""
import gzip
import struct
import sys
from pathlib import Path

N_TRAIN = 4000
N_TEST = 1000
SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist")
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else
           Path(__file__).resolve().parent.parent / "src/main/resources/fashion-mnist-subset")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, path
    dims = list(struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank]))
    return dims, data[4 + 4 * rank:]


def write_idx(path, dims, payload):
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(header + payload)


def subset(name, n):
    dims, data = read_idx(SRC / name)
    row = 1
    for d in dims[1:]:
        row *= d
    assert dims[0] >= n, (name, dims)
    write_idx(OUT / name, [n] + dims[1:], data[:n * row])
    print(f"{OUT / name}: {[n] + dims[1:]}")


OUT.mkdir(parents=True, exist_ok=True)
subset("train-images-idx3-ubyte.gz", N_TRAIN)
subset("train-labels-idx1-ubyte.gz", N_TRAIN)
subset("t10k-images-idx3-ubyte.gz", N_TEST)
subset("t10k-labels-idx1-ubyte.gz", N_TEST)
