package dev.vgrad.core;

import java.util.Arrays;

/**
 * Ordering along one dim: cumsum, sort/argsort, topk, and the layout ops flip and repeat
 * (docs/SEMANTICS.md §18). Sorting is stable and orders NaN above every number, as PyTorch's CPU sort does;
 * the values of sort and topk are a gather at the returned indices, so their gradient is gather's scatter.
 */
final class SortOps {
    private SortOps() {}

    // ------------------------------------------------------------------ cumsum

    static Tensor cumsum(Tensor x, int dimArg) {
        Args.nonNull("cumsum", "input", x);
        if (x.dtype == DType.BOOL) {
            // a running count of a mask: int64, as torch.cumsum of a bool tensor
            x = x.toRaw(DType.INT64);
        }
        int rank = x.shape.length;
        int dim = Shape.wrapDim("cumsum", dimArg, rank);
        Tensor c = x.contiguousRaw();
        Tensor out = Tensor.empty(x.dtype, x.shape.clone());
        int size = rank == 0 ? 1 : x.shape[dim];
        int inner = 1;
        for (int d = dim + 1; d < rank; d++) {
            inner *= x.shape[d];
        }
        int outer = size == 0 || inner == 0 ? 0 : x.numel() / (size * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * size * inner + i;
                if (x.dtype == DType.INT64) {
                    long acc = 0;
                    for (int s = 0; s < size; s++) {
                        acc += c.storage.l[c.offset + base + s * inner];
                        out.storage.l[base + s * inner] = acc;
                    }
                } else {
                    // PyTorch's CPU cumsum accumulates float32 in double (acc_type) and rounds each prefix once
                    double acc = 0;
                    for (int s = 0; s < size; s++) {
                        acc += c.storage.get(c.offset + base + s * inner);
                        out.storage.set(base + s * inner, acc);
                    }
                }
            }
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new CumsumBackward0(x, dim));
        }
        return out;
    }

    /** cumsum's rule: the reversed cumulative sum of the gradient, built from differentiable ops. */
    static final class CumsumBackward0 extends Node {
        private final int dim;

        CumsumBackward0(Tensor x, int dim) {
            super("CumsumBackward0", x);
            this.dim = dim;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            if (g.shape.length == 0) {
                return new Tensor[] {g};
            }
            int[] d = {dim};
            return new Tensor[] {flip(cumsum(flip(g, d), dim), d)};
        }
    }

    // ------------------------------------------------------------------ sort / topk

    /** Stable argsort of every slice along {@code dim}; NaN counts as larger than +inf. */
    private static Tensor sortIndices(String op, Tensor x, int dim, boolean descending) {
        int rank = x.shape.length;
        Tensor idx = Tensor.empty(DType.INT64, x.shape.clone());
        if (rank == 0) {
            return idx;
        }
        Tensor c = x.contiguousRaw();
        int size = x.shape[dim];
        int inner = 1;
        for (int d = dim + 1; d < rank; d++) {
            inner *= x.shape[d];
        }
        int outer = size == 0 || inner == 0 ? 0 : x.numel() / (size * inner);
        Integer[] order = new Integer[size];
        double[] key = new double[size];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * size * inner + i;
                for (int s = 0; s < size; s++) {
                    order[s] = s;
                    key[s] = x.dtype == DType.INT64 ? 0 : c.storage.get(c.offset + base + s * inner);
                }
                if (x.dtype == DType.INT64) {
                    long[] lk = new long[size];
                    for (int s = 0; s < size; s++) {
                        lk[s] = c.storage.l[c.offset + base + s * inner];
                    }
                    // Arrays.sort on objects is a stable merge sort
                    Arrays.sort(order, descending ? (p, q) -> Long.compare(lk[q], lk[p])
                            : (p, q) -> Long.compare(lk[p], lk[q]));
                } else {
                    // Double.compare puts NaN above +inf, as PyTorch does; -0.0 and 0.0 compare equal there
                    Arrays.sort(order, descending ? (p, q) -> cmp(key[q], key[p]) : (p, q) -> cmp(key[p], key[q]));
                }
                for (int s = 0; s < size; s++) {
                    idx.storage.l[base + s * inner] = order[s];
                }
            }
        }
        return idx;
    }

    private static int cmp(double a, double b) {
        return a == b ? 0 : Double.compare(a, b);
    }

    static Tensor.ValuesIndices sort(Tensor x, int dimArg, boolean descending) {
        Args.nonNull("sort", "input", x);
        int dim = Shape.wrapDim("sort", dimArg, x.shape.length);
        Tensor idx = sortIndices("sort", x, dim, descending);
        return new Tensor.ValuesIndices(take("SortBackward0", x, dim, idx), idx);
    }

    static Tensor argsort(Tensor x, int dimArg, boolean descending) {
        Args.nonNull("argsort", "input", x);
        int dim = Shape.wrapDim("argsort", dimArg, x.shape.length);
        return sortIndices("argsort", x, dim, descending);
    }

    static Tensor.ValuesIndices topk(Tensor x, int k, int dimArg, boolean largest, boolean sorted) {
        Args.nonNull("topk", "input", x);
        ElementwiseOps.refuseBool("topk", "topk_cpu", x);
        int dim = Shape.wrapDim("topk", dimArg, x.shape.length);
        int size = x.shape.length == 0 ? 1 : x.shape[dim];
        if (k < 0 || k > size) {
            throw new IllegalArgumentException("topk: selected index k out of range (k=" + k + ", size " + size
                    + " of dim " + dim + " in shape " + Shape.str(x.shape) + ")");
        }
        Tensor all = sortIndices("topk", x, dim, largest);
        Tensor idx = x.shape.length == 0 ? all : all.narrow(dim, 0, k).contiguousRaw();
        return new Tensor.ValuesIndices(take("TopkBackward0", x, dim, idx), idx);
    }

    /** {@code x.gather(dim, idx)} under PyTorch's node name; 0-d inputs are their own result. */
    private static Tensor take(String name, Tensor x, int dim, Tensor idx) {
        Tensor v = x.shape.length == 0 ? x.reshape(1).gather(0, idx.reshape(1)).reshape()
                : x.gather(dim, idx);
        return Autograd.composite(name, v, x);
    }

    // ------------------------------------------------------------------ flip / repeat

    static Tensor flip(Tensor x, int[] dims) {
        Args.nonNull("flip", "input", x);
        Args.nonNull("flip", "dims", dims);
        int rank = x.shape.length;
        boolean[] seen = new boolean[Math.max(rank, 1)];
        int[] wrapped = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shape.wrapDim("flip", dims[i], rank);
            if (seen[d]) {
                throw new IllegalArgumentException("flip: dim " + d + " appears multiple times in the list of dims "
                        + Arrays.toString(dims));
            }
            seen[d] = true;
            wrapped[i] = d;
        }
        if (rank == 0) {
            return x.cloneTensor();
        }
        Tensor out = x;
        for (int d : wrapped) {
            int n = x.shape[d];
            long[] rev = new long[n];
            for (int i = 0; i < n; i++) {
                rev[i] = n - 1 - i;
            }
            out = out.indexSelect(d, Tensor.ofLongs(rev, n));
        }
        return dims.length == 0 ? x.cloneTensor() : Autograd.composite("FlipBackward0", out);
    }

    static Tensor repeat(Tensor x, int[] repeats) {
        Args.nonNull("repeat", "input", x);
        Args.nonNull("repeat", "repeats", repeats);
        int rank = x.shape.length;
        int r = repeats.length;
        if (r < rank) {
            throw new IllegalArgumentException("repeat: Number of dimensions of repeat dims can not be smaller than "
                    + "number of dimensions of tensor (repeats " + Arrays.toString(repeats) + ", shape "
                    + Shape.str(x.shape) + ")");
        }
        int[] outShape = new int[r];
        int[] inter = new int[2 * r];
        int[] wide = new int[2 * r];
        long[] target = new long[r];
        boolean negative = false;
        for (int i = 0; i < r; i++) {
            int s = i < r - rank ? 1 : x.shape[i - (r - rank)];
            target[i] = (long) s * repeats[i];
            negative |= repeats[i] < 0;
            inter[2 * i] = 1;
            inter[2 * i + 1] = s;
            wide[2 * i] = repeats[i];
            wide[2 * i + 1] = s;
        }
        if (negative) {
            // PyTorch reports the target shape, size × repeat per dim
            int firstNeg = 0;
            while (repeats[firstNeg] >= 0) {
                firstNeg++;
            }
            throw new IllegalArgumentException("repeat: Trying to create tensor with negative dimension "
                    + target[firstNeg] + ": " + Arrays.toString(target) + " (repeats " + Arrays.toString(repeats)
                    + ", shape " + Shape.str(x.shape) + ")");
        }
        for (int i = 0; i < r; i++) {
            if (target[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("repeat: size " + target[i] + " of dim " + i + " overflows an int "
                        + "(repeats " + Arrays.toString(repeats) + ", shape " + Shape.str(x.shape) + ")");
            }
            outShape[i] = (int) target[i];
        }
        Shape.checked("repeat", outShape);
        // tile = broadcast each dim against a new leading copy axis, then merge the pairs (docs/SEMANTICS.md §18)
        Tensor out = x.reshape(inter).expand(wide).reshape(outShape);
        if (out.storage == x.storage) {
            // every repeat is 1 and the reshape was a view: repeat always returns new memory, as in PyTorch
            out = out.cloneTensor();
        }
        return Autograd.composite("RepeatBackward0", out);
    }
}
