package dev.vgrad.core;

import dev.vgrad.core.kernel.KernelProvider;
import dev.vgrad.core.kernel.Kernels;
import dev.vgrad.core.kernel.Parallel;
import dev.vgrad.core.kernel.Sizes;
import java.util.Arrays;

/**
 * Reductions (sum, mean, var, max/min, logsumexp, arg-extremes) and softmax. Every reduction sums in a fixed
 * order — fixed-size blocks combined in block order — so results do not depend on the thread count.
 */
final class ReduceOps {
    private ReduceOps() {}

    /** Elements per partial sum when one row is reduced by several chunks. */
    private static final int BLOCK = 1 << 16;

    private enum Kind { SUM, MAX, MIN }

    static int[] reducedShape(int[] shape, boolean[] mask, boolean keepdim) {
        int[] out = new int[shape.length];
        int k = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!mask[i]) {
                out[k++] = shape[i];
            } else if (keepdim) {
                out[k++] = 1;
            }
        }
        return Arrays.copyOf(out, k);
    }

    private static int[] keepShape(int[] shape, boolean[] mask) {
        return reducedShape(shape, mask, true);
    }

    /** Reduces the masked dims; result has the kept dims in order (no keepdim), contiguous. */
    private static Tensor reduceRaw(Tensor x, boolean[] mask, Kind kind, String op) {
        int rank = x.shape.length;
        int[] kept = reducedShape(x.shape, mask, false);
        int m = Shape.numel(kept);
        int r = rank == 0 ? 1 : x.numel() / Math.max(m, 1);
        if (x.numel() == 0) {
            if (kind != Kind.SUM) {
                requireNonEmptyReducedDims(op, x.shape, mask);
            }
            // a sum over nothing is 0 (fresh arrays are zero); an empty kept shape gives an empty result
            return Tensor.empty(x.dtype, kept);
        }
        int[] perm = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (!mask[i]) {
                perm[k++] = i;
            }
        }
        int keptRank = k;
        for (int i = 0; i < rank; i++) {
            if (mask[i]) {
                perm[k++] = i;
            }
        }
        Tensor out = Tensor.empty(x.dtype, kept);
        // leading reduced dims over a contiguous tail: accumulate whole rows in order (bias gradients, column sums)
        boolean leading = true;
        for (int i = 0; i < rank - keptRank; i++) {
            leading &= mask[i];
        }
        if (kind == Kind.SUM && leading && keptRank > 0 && keptRank < rank && x.isContiguous()) {
            columnSum(x, r, m, out);
            return out;
        }
        Tensor xp = ShapeOps.permuteRaw(x, perm).contiguousRaw();
        rowReduce(xp, m, r, kind, out);
        return out;
    }

    /**
     * max/min/argmax/argmin have no identity: reducing over an empty dim fails with PyTorch's message, even when
     * the result would be empty (docs/SEMANTICS.md §10); reducing a non-empty dim of an empty tensor is fine.
     */
    static void requireNonEmptyReducedDims(String op, int[] shape, boolean[] mask) {
        for (int d = 0; d < shape.length; d++) {
            if (mask[d] && shape[d] == 0) {
                throw new IllegalArgumentException(op + "(): Expected reduction dim " + d + " to have non-zero size."
                        + " (input shape " + Shape.str(shape) + ")");
            }
        }
    }

    /** Elements from which a column sum splits its columns over the threads. */
    private static final long COLUMN_SUM_PARALLEL = 1L << 23;

    private static void columnSum(Tensor x, int r, int m, Tensor out) {
        if (x.dtype == DType.FLOAT32) {
            Kernels kn = KernelProvider.kernels();
            float[] src = x.storage.f;
            float[] dst = out.storage.f;
            // whole rows streamed in order, each thread owning one contiguous range of columns: a column's sum is
            // the same chain over ascending rows whatever the split, so any thread count gives the same bits. (The
            // split by GRAIN/r columns it replaces cut a 4096-row gradient into 16-column strips, one strided
            // vector per row and per call: 4096x512 took 1.11 ms at 1 thread, now 0.16.) A second thread only pays
            // off on tensors far beyond the caches (measured: 4096x2048 1.39 ms on one thread, 1.51 on two).
            int parts = (long) r * m < COLUMN_SUM_PARALLEL ? 1
                    : Math.max(1, Math.min(Parallel.numThreads(), m / 16));
            int chunk = ((m + parts - 1) / parts + 15) / 16 * 16;
            Parallel.forEachChunk(Parallel.chunks(m, chunk), c -> {
                int lo = c * chunk;
                int len = Math.min(chunk, m - lo);
                for (int row = 0; row < r; row++) {
                    kn.axpy(1f, src, x.offset + row * m + lo, dst, lo, len);
                }
            });
        } else {
            double[] src = x.storage.d;
            double[] dst = out.storage.d;
            for (int row = 0; row < r; row++) {
                int base = x.offset + row * m;
                for (int j = 0; j < m; j++) {
                    dst[j] += src[base + j];
                }
            }
        }
    }

    private static void rowReduce(Tensor xp, int m, int r, Kind kind, Tensor out) {
        if (xp.dtype == DType.FLOAT32) {
            Kernels kn = KernelProvider.kernels();
            float[] src = xp.storage.f;
            float[] dst = out.storage.f;
            int base = xp.offset;
            if (m == 1 && r > BLOCK) {
                int nb = Parallel.chunks(r, BLOCK);
                float[] partial = new float[nb];
                Parallel.forEachChunk(nb, c -> {
                    int lo = c * BLOCK;
                    partial[c] = reduceRun(kn, kind, src, base + lo, Math.min(BLOCK, r - lo));
                });
                float acc = partial[0];
                for (int c = 1; c < nb; c++) {
                    acc = combine(kind, acc, partial[c]);
                }
                dst[0] = acc;
                return;
            }
            int rowsPerChunk = Math.max(1, ElementwiseOps.GRAIN / Math.max(1, r));
            Parallel.forEachChunk(Parallel.chunks(m, rowsPerChunk), c -> {
                int r0 = c * rowsPerChunk;
                int r1 = Math.min(m, r0 + rowsPerChunk);
                for (int row = r0; row < r1; row++) {
                    dst[row] = reduceLong(kn, kind, src, base + row * r, r);
                }
            });
        } else if (xp.storage.l != null) {
            // int64 and bool (0/1): exact, wrapping sums; the result has x's dtype (max of a mask is a bool)
            long[] src = xp.storage.l;
            long[] dst = out.storage.l;
            for (int row = 0; row < m; row++) {
                int o = xp.offset + row * r;
                long acc = kind == Kind.SUM ? 0 : src[o];
                for (int j = kind == Kind.SUM ? 0 : 1; j < r; j++) {
                    long v = src[o + j];
                    acc = switch (kind) {
                        case SUM -> acc + v;
                        case MAX -> Math.max(acc, v);
                        case MIN -> Math.min(acc, v);
                    };
                }
                dst[row] = acc;
            }
        } else {
            double[] src = xp.storage.d;
            double[] dst = out.storage.d;
            for (int row = 0; row < m; row++) {
                int o = xp.offset + row * r;
                double acc = kind == Kind.SUM ? 0 : src[o];
                for (int j = kind == Kind.SUM ? 0 : 1; j < r; j++) {
                    double v = src[o + j];
                    acc = switch (kind) {
                        case SUM -> acc + v;
                        case MAX -> (acc != acc || v != v) ? Double.NaN : Math.max(acc, v);
                        case MIN -> (acc != acc || v != v) ? Double.NaN : Math.min(acc, v);
                    };
                }
                dst[row] = acc;
            }
        }
    }

    /** One row, split into fixed blocks so long rows sum identically whether or not they run in parallel. */
    private static float reduceLong(Kernels kn, Kind kind, float[] src, int off, int r) {
        float acc = reduceRun(kn, kind, src, off, Math.min(BLOCK, r));
        for (int lo = BLOCK; lo < r; lo += BLOCK) {
            acc = combine(kind, acc, reduceRun(kn, kind, src, off + lo, Math.min(BLOCK, r - lo)));
        }
        return acc;
    }

    private static float reduceRun(Kernels kn, Kind kind, float[] src, int off, int n) {
        return switch (kind) {
            case SUM -> kn.sum(src, off, n);
            case MAX -> kn.max(src, off, n);
            case MIN -> kn.min(src, off, n);
        };
    }

    private static float combine(Kind kind, float a, float b) {
        return switch (kind) {
            case SUM -> a + b;
            case MAX -> (a != a || b != b) ? Float.NaN : Math.max(a, b);
            case MIN -> (a != a || b != b) ? Float.NaN : Math.min(a, b);
        };
    }

    // ------------------------------------------------------------------ sum / mean / var

    static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        Args.nonNull("sum", "input", x);
        if (x.dtype == DType.INT64 || x.dtype == DType.BOOL) {
            // a bool mask sums to an int64 count, as torch.sum does
            return sumInt64(x, dims, keepdim);
        }
        ElementwiseOps.requireFloat("sum", x);
        boolean[] mask = Shape.dimMask("sum", dims, x.shape.length);
        Tensor raw = reduceRaw(x, mask, Kind.SUM, "sum");
        int[] outShape = reducedShape(x.shape, mask, keepdim);
        Tensor out = Tensor.contiguous(raw.storage, raw.dtype, outShape);
        if (Autograd.isRecording(x)) {
            int[] kShape = keepShape(x.shape, mask);
            Autograd.attach(out, dims == null ? new SumBackward0(x, kShape) : new SumBackward1(x, kShape));
        }
        return out;
    }

    /**
     * The exact int64 sum (wrapping on overflow, as PyTorch's does) of an int64 or bool tensor (a bool mask counts
     * its true elements; docs/SEMANTICS.md §17); integers carry no gradient.
     */
    private static Tensor sumInt64(Tensor x, int[] dims, boolean keepdim) {
        boolean[] mask = Shape.dimMask("sum", dims, x.shape.length);
        int[] kShape = keepShape(x.shape, mask);
        Tensor out = Tensor.zeros(DType.INT64, kShape);
        long[] ol = out.storage.l;
        int rank = x.shape.length;
        // out's strides with 0 on the reduced dims: every input element adds into its output element
        int[] os = out.stride.clone();
        for (int i = 0; i < rank; i++) {
            if (mask[i]) {
                os[i] = 0;
            }
        }
        long[] xl = x.storage.l;
        int x1 = rank == 0 ? 0 : x.stride[rank - 1];
        int o1 = rank == 0 ? 0 : os[rank - 1];
        Strided.forEachRun(x.shape, new int[][] {x.stride, os}, new int[] {x.offset, 0}, (offs, o, len) -> {
            for (int i = 0; i < len; i++) {
                ol[offs[1] + i * o1] += xl[offs[0] + i * x1];
            }
        });
        return Tensor.contiguous(out.storage, DType.INT64, reducedShape(x.shape, mask, keepdim));
    }

    /** {@code torch.any} ({@code any} true) or {@code torch.all} of every element: a 0-d bool tensor. */
    static Tensor anyAll(Tensor x, boolean any) {
        Args.nonNull(any ? "any" : "all", "input", x);
        Tensor c = x.contiguousRaw();
        boolean r = !any;
        for (int i = 0, n = c.numel(); i < n; i++) {
            if ((c.storage.get(c.offset + i) != 0) == any) {
                r = any;
                break;
            }
        }
        return Tensor.scalar(DType.BOOL, r ? 1 : 0);
    }

    /**
     * {@code torch.any} / {@code torch.all} along one dim: the count of true (for any) or false (for all) elements,
     * compared with 0, so an empty dim gives false for any and true for all.
     */
    static Tensor anyAll(Tensor x, int dim, boolean keepdim, boolean any) {
        Args.nonNull(any ? "any" : "all", "input", x);
        Tensor hits = any ? x.toBool() : x.logicalNot();
        Tensor count = sum(hits, new int[] {dim}, keepdim);
        return any ? count.gt(0) : count.eq(0);
    }

    /** PyTorch's refusal to average an integer tensor, whose mean has no dtype to infer. */
    private static void requireFloatForMean(Tensor x) {
        Args.nonNull("mean", "input", x);
        if (!x.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("mean(): could not infer output dtype. Input dtype must be either a "
                    + "floating point or complex dtype. Got: " + LinalgOps.scalarTypeName(x.dtype) + " (shape "
                    + Shape.str(x.shape)
                    + "; convert first, e.g. mask.toFloat().mean())");
        }
    }

    /** PyTorch's refusal of var and std on an integer tensor. */
    private static void requireFloatForVar(String op, Tensor x) {
        Args.nonNull(op, "input", x);
        if (!x.dtype.isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": std and var only support floating point and complex dtypes, got "
                    + x.dtype + " of shape " + Shape.str(x.shape));
        }
    }

    /**
     * Number of elements each output element reduces. Exact whenever the output is non-empty (it is then at
     * most numel); for an empty output, whose value is never used, it saturates instead of wrapping.
     */
    static int reducedCount(Tensor x, boolean[] mask) {
        long n = 1;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                n = Sizes.saturatingMultiply(n, x.shape[i]);
            }
        }
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
        requireFloatForMean(x);
        boolean[] mask = Shape.dimMask("mean", dims, x.shape.length);
        int n = reducedCount(x, mask);
        Tensor raw = reduceRaw(x, mask, Kind.SUM, "mean");
        // sum / n (a division, as PyTorch's mean does), in place on the fresh result
        int m = raw.numel();
        if (raw.dtype == DType.FLOAT32) {
            KernelProvider.kernels().binary(dev.vgrad.core.kernel.BinaryOp.DIV, raw.storage.f, 0, 1,
                    new float[] {n}, 0, 0, raw.storage.f, 0, m);
        } else {
            double[] d = raw.storage.d;
            for (int i = 0; i < m; i++) {
                d[i] /= n;
            }
        }
        Tensor out = Tensor.contiguous(raw.storage, raw.dtype, reducedShape(x.shape, mask, keepdim));
        if (Autograd.isRecording(x)) {
            int[] kShape = keepShape(x.shape, mask);
            Autograd.attach(out, dims == null ? new MeanBackward0(x, kShape, n) : new MeanBackward1(x, kShape, n));
        }
        return out;
    }

    /** √var with the same arguments; its gradient is var's divided by 2·std (inf or NaN where std = 0, as PyTorch). */
    static Tensor std(Tensor x, int[] dims, int correction, boolean keepdim) {
        requireFloatForVar("std", x);
        return Autograd.composite("StdBackward0", var(x, dims, correction, keepdim).sqrt(), x);
    }

    static Tensor var(Tensor x, int[] dims, int correction, boolean keepdim) {
        requireFloatForVar("var", x);
        boolean[] mask = Shape.dimMask("var", dims, x.shape.length);
        int n = reducedCount(x, mask);
        Tensor mu = mean(x, dims, true);
        Tensor d = x.sub(mu);
        // PyTorch's VarBackward0 saves x: the composite's own nodes keep only the private x - mean
        return Autograd.composite("VarBackward0", d.mul(d).sum(dims, keepdim).div(Math.max(0, n - correction)), x);
    }

    // ------------------------------------------------------------------ max / min

    static Tensor extreme(Tensor x, int[] dims, boolean keepdim, boolean isMax) {
        String op = isMax ? (dims == null ? "max" : "amax") : (dims == null ? "min" : "amin");
        // int64 and bool reduce exactly in their own dtype, as PyTorch's max of a mask is a bool
        Args.nonNull(op, "input", x);
        if (x.numel() == 0 && dims == null) {
            throw new IllegalArgumentException(op + "(): Expected reduction dim to be specified for input.numel() == 0. "
                    + "Specify the reduction dim with the 'dim' argument. (input shape " + Shape.str(x.shape) + ")");
        }
        boolean[] mask = Shape.dimMask(op, dims, x.shape.length);
        Tensor raw = reduceRaw(x, mask, isMax ? Kind.MAX : Kind.MIN, op);
        Tensor out = Tensor.contiguous(raw.storage, raw.dtype, reducedShape(x.shape, mask, keepdim));
        if (Autograd.isRecording(x)) {
            int[] kShape = keepShape(x.shape, mask);
            Autograd.attach(out, isMax ? new MaxBackward1(x, out, dims, kShape) : new MinBackward1(x, out, dims, kShape));
        }
        return out;
    }

    /** Indices of the extreme along the last dim of contiguous rows; NaN counts as the extreme, first one wins. */
    private static long[] argRows(Tensor xp, int rows, int len, boolean isMax) {
        long[] idx = new long[rows];
        if (xp.storage.l != null) {
            // int64 compared as longs: through double, values above 2^53 could tie
            long[] l = xp.storage.l;
            for (int r = 0; r < rows; r++) {
                int o = xp.offset + r * len;
                int best = 0;
                for (int j = 1; j < len; j++) {
                    if (isMax ? l[o + j] > l[o + best] : l[o + j] < l[o + best]) {
                        best = j;
                    }
                }
                idx[r] = best;
            }
            return idx;
        }
        for (int r = 0; r < rows; r++) {
            int o = xp.offset + r * len;
            int best = 0;
            double bv = xp.storage.get(o);
            if (bv == bv) {
                for (int j = 1; j < len; j++) {
                    double v = xp.storage.get(o + j);
                    if (v != v) {
                        best = j;
                        break;
                    }
                    if (isMax ? v > bv : v < bv) {
                        bv = v;
                        best = j;
                    }
                }
            }
            idx[r] = best;
        }
        return idx;
    }

    /** x with {@code dim} moved last, contiguous; returns {tensor, rows, len}. */
    private static Tensor movedLast(Tensor x, int dim) {
        int rank = x.shape.length;
        int[] perm = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (i != dim) {
                perm[k++] = i;
            }
        }
        perm[k] = dim;
        return ShapeOps.permuteRaw(x, perm).contiguousRaw();
    }

    static Tensor argExtreme(Tensor x, Integer dimArg, boolean keepdim, boolean isMax) {
        String op = isMax ? "argmax" : "argmin";
        Args.nonNull(op, "input", x);
        ElementwiseOps.refuseBool(op, op + "_cpu", x);
        if (x.numel() == 0 && dimArg == null) {
            throw new IllegalArgumentException(op + "(): Expected reduction dim to be specified for input.numel() == 0."
                    + " (input shape " + Shape.str(x.shape) + ")");
        }
        if (dimArg == null) {
            Tensor flat = x.contiguousRaw();
            long[] idx = argRows(flat, 1, flat.numel(), isMax);
            return Tensor.ofLongs(idx);
        }
        int rank = x.shape.length;
        int dim = Shape.wrapDim(op, dimArg, rank);
        if (rank == 0) {
            return Tensor.ofLongs(new long[] {0});
        }
        boolean[] mask = new boolean[rank];
        mask[dim] = true;
        requireNonEmptyReducedDims(op, x.shape, mask);
        int len = x.shape[dim];
        Tensor xp = movedLast(x, dim);
        int rows = x.numel() / len;
        long[] idx = argRows(xp, rows, len, isMax);
        return Tensor.contiguous(Storage.of(idx), DType.INT64, reducedShape(x.shape, mask, keepdim));
    }

    static Tensor extremeDim(Tensor x, int dimArg, boolean keepdim, boolean isMax) {
        String op = isMax ? "max" : "min";
        Args.nonNull(op, "input", x);
        int rank = x.shape.length;
        int dim = Shape.wrapDim(op, dimArg, rank);
        if (rank > 0) {
            boolean[] reduced = new boolean[rank];
            reduced[dim] = true;
            requireNonEmptyReducedDims(op, x.shape, reduced);
        }
        if (rank == 0) {
            return x.cloneTensor();
        }
        int len = x.shape[dim];
        Tensor xp = movedLast(x, dim);
        int rows = x.numel() / len;
        long[] idx = argRows(xp, rows, len, isMax);
        boolean[] mask = new boolean[rank];
        mask[dim] = true;
        int[] outShape = reducedShape(x.shape, mask, keepdim);
        Tensor out = Tensor.empty(x.dtype, outShape);
        for (int r = 0; r < rows; r++) {
            int at = xp.offset + r * len + (int) idx[r];
            if (out.storage.l != null) {
                out.storage.l[r] = xp.storage.l[at];
            } else {
                out.storage.set(r, xp.storage.get(at));
            }
        }
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, isMax ? new MaxBackward0(x, dim, len, rows, idx)
                    : new MinBackward0(x, dim, len, rows, idx));
        }
        return out;
    }

    static Tensor logsumexp(Tensor x, int[] dims, boolean keepdim) {
        ElementwiseOps.requireFloat("logsumexp", x);
        boolean[] mask = Shape.dimMask("logsumexp", dims, x.shape.length);
        Tensor m;
        try (Grad.Scope off = Grad.disabled()) {
            m = x.numel() == 0 ? x.sum(dims, true) : extreme(x, dims, true, true);
            // an infinite max would turn x - m into NaN; shift by 0 instead (PyTorch does the same)
            m = Tensor.where(m.abs().eq(Double.POSITIVE_INFINITY), m.zerosLike(), m);
        }
        Tensor s = x.sub(m).exp().sum(dims, true).log().add(m);
        if (!keepdim) {
            s = s.reshape(reducedShape(x.shape, mask, false));
        }
        // PyTorch's LogsumexpBackward0 saves x; the composite's exp saves only its own private output
        return Autograd.composite("LogsumexpBackward0", s, x);
    }

    // ------------------------------------------------------------------ softmax

    static Tensor softmax(Tensor x, int dimArg, boolean log) {
        String op = log ? "log_softmax" : "softmax";
        ElementwiseOps.requireFloat(op, x);
        int rank = x.shape.length;
        int dim = Shape.wrapDim(op, dimArg, rank);
        if (x.numel() == 0) {
            return emptySoftmax(x, log);
        }
        int last = Math.max(rank - 1, 0);
        Tensor xt = (rank == 0 ? x : ShapeOps.transposeRaw(x, dim, last)).contiguousRaw();
        int cols = rank == 0 ? 1 : xt.shape[last];
        int rows = xt.numel() / cols;
        Tensor yt = Tensor.empty(x.dtype, xt.shape.clone());
        softmaxRows(xt, yt, rows, cols, log);
        Tensor out = rank == 0 || dim == last ? yt : ShapeOps.transposeRaw(yt, dim, last).contiguousRaw();
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, log ? new LogSoftmaxBackward0(x, out, dim, last, rows, cols)
                    : new SoftmaxBackward0(x, out, dim, last, rows, cols));
        }
        return out;
    }

    /** Softmax of an empty tensor: empty, and recorded like any other (PyTorch gives it a grad_fn). */
    private static Tensor emptySoftmax(Tensor x, boolean log) {
        Tensor out = x.zerosLike();
        if (Autograd.isRecording(x)) {
            Autograd.attach(out, new EmptySoftmaxBackward(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", x));
        }
        return out;
    }

    private static void softmaxRows(Tensor x, Tensor y, int rows, int cols, boolean log) {
        if (x.dtype == DType.FLOAT32) {
            Kernels kn = KernelProvider.kernels();
            int per = Math.max(1, ElementwiseOps.GRAIN / cols);
            Parallel.forEachChunk(Parallel.chunks(rows, per), c -> {
                int r0 = c * per;
                int nr = Math.min(per, rows - r0);
                kn.softmaxRows(x.storage.f, x.offset + r0 * cols, y.storage.f, r0 * cols, nr, cols, log);
            });
            return;
        }
        double[] xs = x.storage.d;
        double[] ys = y.storage.d;
        for (int r = 0; r < rows; r++) {
            int o = x.offset + r * cols;
            double m = Double.NEGATIVE_INFINITY;
            boolean nan = false;
            for (int j = 0; j < cols; j++) {
                nan |= xs[o + j] != xs[o + j];
                m = Math.max(m, xs[o + j]);
            }
            if (nan || m == Double.NEGATIVE_INFINITY) {
                Arrays.fill(ys, r * cols, r * cols + cols, Double.NaN);
                continue;
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(xs[o + j] - m);
            }
            double lse = Math.log(s);
            for (int j = 0; j < cols; j++) {
                ys[r * cols + j] = log ? xs[o + j] - m - lse : Math.exp(xs[o + j] - m) / s;
            }
        }
    }

    private static void softmaxBackwardRows(Tensor y, Tensor g, Tensor gx, int rows, int cols, boolean log) {
        if (y.dtype == DType.FLOAT32) {
            Kernels kn = KernelProvider.kernels();
            int per = Math.max(1, ElementwiseOps.GRAIN / cols);
            Parallel.forEachChunk(Parallel.chunks(rows, per), c -> {
                int r0 = c * per;
                int nr = Math.min(per, rows - r0);
                kn.softmaxBackwardRows(y.storage.f, y.offset + r0 * cols, g.storage.f, g.offset + r0 * cols,
                        gx.storage.f, r0 * cols, nr, cols, log);
            });
            return;
        }
        double[] ys = y.storage.d;
        double[] gs = g.storage.d;
        double[] out = gx.storage.d;
        for (int r = 0; r < rows; r++) {
            int yo = y.offset + r * cols;
            int go = g.offset + r * cols;
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += log ? gs[go + j] : gs[go + j] * ys[yo + j];
            }
            for (int j = 0; j < cols; j++) {
                out[r * cols + j] = log ? gs[go + j] - Math.exp(ys[yo + j]) * s : ys[yo + j] * (gs[go + j] - s);
            }
        }
    }

    // ------------------------------------------------------------------ broadcasting support

    /** Sums {@code g} over the dims that broadcasting expanded, returning a tensor of {@code shape}. */
    static Tensor sumToShape(Tensor g, int[] shape) {
        if (Arrays.equals(g.shape, shape)) {
            return g;
        }
        int lead = g.shape.length - shape.length;
        boolean[] mask = new boolean[g.shape.length];
        for (int i = 0; i < g.shape.length; i++) {
            mask[i] = i < lead || (shape[i - lead] == 1 && g.shape[i] != 1);
        }
        if (Grad.isEnabled() && g.requiresGrad()) {
            // createGraph (docs/SEMANTICS.md §5.12): the same sum, recorded
            int k = 0;
            for (boolean m : mask) {
                k += m ? 1 : 0;
            }
            int[] dims = new int[k];
            k = 0;
            for (int i = 0; i < mask.length; i++) {
                if (mask[i]) {
                    dims[k++] = i;
                }
            }
            return g.sum(dims, true).reshape(shape.clone());
        }
        Tensor raw = reduceRaw(g, mask, Kind.SUM, "sum_to_size");
        return Tensor.contiguous(raw.storage, raw.dtype, shape.clone());
    }

    // ------------------------------------------------------------------ backward rules

    /** sum's rule: the gradient, reshaped to the kept dims, expanded back to the input's shape. */
    abstract static class SumRule extends Node {
        private final int[] inShape;
        private final int[] kShape;

        SumRule(String name, Tensor x, int[] kShape) {
            super(name, x);
            this.inShape = x.shape;
            this.kShape = kShape;
        }

        @Override
        protected final Tensor[] backward(Tensor g) {
            return new Tensor[] {g.reshape(kShape).expand(inShape)};
        }
    }

    /** {@code sum()} over every dim. */
    static final class SumBackward0 extends SumRule {
        SumBackward0(Tensor x, int[] kShape) {
            super("SumBackward0", x, kShape);
        }
    }

    /** {@code sum(dims)}. */
    static final class SumBackward1 extends SumRule {
        SumBackward1(Tensor x, int[] kShape) {
            super("SumBackward1", x, kShape);
        }
    }

    /** mean's rule: the gradient divided by the reduced count, expanded back to the input's shape. */
    abstract static class MeanRule extends Node {
        private final int[] inShape;
        private final int[] kShape;
        private final int n;

        MeanRule(String name, Tensor x, int[] kShape, int n) {
            super(name, x);
            this.inShape = x.shape;
            this.kShape = kShape;
            this.n = n;
        }

        @Override
        protected final Tensor[] backward(Tensor g) {
            return new Tensor[] {g.div(n).reshape(kShape).expand(inShape)};
        }
    }

    /** {@code mean()} over every dim. */
    static final class MeanBackward0 extends MeanRule {
        MeanBackward0(Tensor x, int[] kShape, int n) {
            super("MeanBackward0", x, kShape, n);
        }
    }

    /** {@code mean(dims)}. */
    static final class MeanBackward1 extends MeanRule {
        MeanBackward1(Tensor x, int[] kShape, int n) {
            super("MeanBackward1", x, kShape, n);
        }
    }

    /** max()/min()/amax/amin's rule: the gradient shared evenly among all elements equal to the extreme. */
    abstract static class ExtremeRule extends Node {
        private final SavedTensor sx;
        private final SavedTensor sy;
        private final int[] dims;
        private final int[] kShape;
        private final int[] inShape;

        ExtremeRule(String name, Tensor x, Tensor out, int[] dims, int[] kShape) {
            super(name, x);
            this.sx = save(x);
            this.sy = saveOutput(out);
            this.dims = dims;
            this.kShape = kShape;
            this.inShape = x.shape;
        }

        @Override
        protected final Tensor[] backward(Tensor g) {
            // the gradient is shared evenly among all elements equal to the extreme (PyTorch's rule)
            Tensor xs = sx.get();
            Tensor y = sy.get().reshape(kShape);
            Tensor hitMask = xs.eq(y);
            if (dims == null) {
                // max()/min(): a NaN result sends the gradient to the NaN elements (amax/amin do not)
                hitMask = hitMask.logicalOr(xs.ne(xs).logicalAnd(y.ne(y)));
            }
            // the mask as 0/1 of the gradient's dtype, so the count and the share are computed as before
            Tensor hit = hitMask.to(g.dtype);
            Tensor count = sum(hit, dims, true);
            return new Tensor[] {hit.mul(g.reshape(kShape).div(count)).expand(inShape).contiguous()};
        }
    }

    /** max() and amax. */
    static final class MaxBackward1 extends ExtremeRule {
        MaxBackward1(Tensor x, Tensor out, int[] dims, int[] kShape) {
            super("MaxBackward1", x, out, dims, kShape);
        }
    }

    /** min() and amin. */
    static final class MinBackward1 extends ExtremeRule {
        MinBackward1(Tensor x, Tensor out, int[] dims, int[] kShape) {
            super("MinBackward1", x, out, dims, kShape);
        }
    }

    /** max(dim)/min(dim)'s rule: the gradient goes to the index found in forward. */
    abstract static class ExtremeDimRule extends Node {
        private final int[] inShape;
        private final int rank;
        private final int dim;
        private final int len;
        private final int rows;
        /** The forward's indices along {@code dim}, one per row (PyTorch saves them as the indices output). */
        private final long[] idx;

        ExtremeDimRule(String name, Tensor x, int dim, int len, int rows, long[] idx) {
            super(name, x);
            this.inShape = x.shape;
            this.rank = x.shape.length;
            this.dim = dim;
            this.len = len;
            this.rows = rows;
            this.idx = idx;
        }

        @Override
        protected final Tensor[] backward(Tensor g) {
            Tensor gc = g.contiguousRaw();
            int[] movedShape = new int[rank];
            int k = 0;
            int[] perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                if (i != dim) {
                    movedShape[k] = inShape[i];
                    perm[k++] = i;
                }
            }
            movedShape[k] = len;
            perm[k] = dim;
            Tensor gm = Tensor.empty(gc.dtype, movedShape);
            for (int r = 0; r < rows; r++) {
                gm.storage.set(r * len + (int) idx[r], gc.storage.get(gc.offset + r));
            }
            int[] inv = new int[rank];
            for (int i = 0; i < rank; i++) {
                inv[perm[i]] = i;
            }
            Tensor gx = ShapeOps.permuteRaw(gm, inv).contiguousRaw();
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): a scatter by the indices, adjoint a gather
                int[] keep = inShape.clone();
                keep[dim] = 1;
                int[] gShape = g.shape;
                return new Tensor[] {LinearMap.record(g, gx, in -> new MaxBackward0Backward(in, dim, idx, keep,
                        gShape))};
            }
            return new Tensor[] {gx};
        }
    }

    /** max(dim). */
    static final class MaxBackward0 extends ExtremeDimRule {
        MaxBackward0(Tensor x, int dim, int len, int rows, long[] idx) {
            super("MaxBackward0", x, dim, len, rows, idx);
        }
    }

    /** min(dim). */
    static final class MinBackward0 extends ExtremeDimRule {
        MinBackward0(Tensor x, int dim, int len, int rows, long[] idx) {
            super("MinBackward0", x, dim, len, rows, idx);
        }
    }

    /** The createGraph form of max(dim)/min(dim)'s scatter; its adjoint gathers at the indices. */
    static final class MaxBackward0Backward extends LinearMap {
        private final int dim;
        private final long[] idx;
        private final int[] keep;
        private final int[] gShape;

        MaxBackward0Backward(Tensor g, int dim, long[] idx, int[] keep, int[] gShape) {
            super("MaxBackward0Backward", g);
            this.dim = dim;
            this.idx = idx;
            this.keep = keep;
            this.gShape = gShape;
        }

        @Override
        Tensor adjoint(Tensor gg) {
            return gg.gather(dim, Tensor.ofLongs(idx, keep)).reshape(gShape);
        }
    }

    /** softmax/log_softmax's rule, from the saved output along {@code dim}. */
    abstract static class SoftmaxRule extends Node {
        private final SavedTensor sy;
        private final boolean log;
        private final int rank;
        private final int dim;
        private final int last;
        private final int rows;
        private final int cols;

        SoftmaxRule(String name, boolean log, Tensor x, Tensor out, int dim, int last, int rows, int cols) {
            super(name, x);
            this.sy = saveOutput(out);
            this.log = log;
            this.rank = x.shape.length;
            this.dim = dim;
            this.last = last;
            this.rows = rows;
            this.cols = cols;
        }

        @Override
        protected final Tensor[] backward(Tensor g) {
            Tensor y = sy.get();
            if (Grad.isEnabled()) {
                // createGraph (docs/SEMANTICS.md §5.12): the same rule as recorded ops
                if (rank == 0) {
                    return new Tensor[] {log ? g.sub(y.exp().mul(g)) : g.sub(g.mul(y)).mul(y)};
                }
                int[] d = {dim};
                return new Tensor[] {log ? g.sub(y.exp().mul(g.sum(d, true)))
                        : y.mul(g.sub(g.mul(y).sum(d, true)))};
            }
            Tensor ytr = (rank == 0 ? y : ShapeOps.transposeRaw(y, dim, last)).contiguousRaw();
            Tensor gtr = (rank == 0 ? g : ShapeOps.transposeRaw(g, dim, last)).contiguousRaw();
            Tensor gx = Tensor.empty(y.dtype, ytr.shape.clone());
            softmaxBackwardRows(ytr, gtr, gx, rows, cols, log);
            return new Tensor[] {rank == 0 || dim == last ? gx : ShapeOps.transposeRaw(gx, dim, last).contiguousRaw()};
        }
    }

    /** softmax. */
    static final class SoftmaxBackward0 extends SoftmaxRule {
        SoftmaxBackward0(Tensor x, Tensor out, int dim, int last, int rows, int cols) {
            super("SoftmaxBackward0", false, x, out, dim, last, rows, cols);
        }
    }

    /** log_softmax. */
    static final class LogSoftmaxBackward0 extends SoftmaxRule {
        LogSoftmaxBackward0(Tensor x, Tensor out, int dim, int last, int rows, int cols) {
            super("LogSoftmaxBackward0", true, x, out, dim, last, rows, cols);
        }
    }

    /** softmax/log_softmax of an empty tensor: nothing saved, an empty gradient. */
    static final class EmptySoftmaxBackward extends Node {
        EmptySoftmaxBackward(String name, Tensor x) {
            super(name, x);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.zerosLike()};
        }
    }
}
