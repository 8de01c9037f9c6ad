package dev.vgrad.core;

import dev.vgrad.core.kernel.Gemm;
import dev.vgrad.core.kernel.Parallel;

/**
 * {@code matmul} with PyTorch's rank rules: 1-D operands are promoted by a leading (left) or trailing (right)
 * size-1 dim that is removed afterwards; batch dims broadcast. Transposed views are handed to GEMM as
 * transposed operands, so {@code x.matmul(w.t())} and the backward products never copy.
 */
final class LinalgOps {
    private LinalgOps() {}

    static Tensor matmul(Tensor a, Tensor b) {
        Args.nonNull("matmul", "input", a);
        Args.nonNull("matmul", "other", b);
        int da = a.shape.length;
        int db = b.shape.length;
        if (da == 0 || db == 0) {
            throw new IllegalArgumentException("matmul: both arguments to matmul need to be at least 1D, but they are "
                    + da + "D and " + db + "D");
        }
        if (a.dtype == DType.BOOL && b.dtype == DType.BOOL) {
            // PyTorch has no bool kernel; its text names the kernel the ranks select
            String kernel = da == 1 && db == 1 ? "dot" : da == 1 || db == 1 ? "addmv_impl_cpu"
                    : da >= 3 && db >= 3 ? "bmm" : "addmm_impl_cpu_";
            throw new IllegalArgumentException("matmul: \"" + kernel + "\" not implemented for 'Bool' (input shapes "
                    + Shape.str(a.shape) + " and " + Shape.str(b.shape) + ")");
        }
        if (da == 1 && db == 1) {
            // PyTorch's dot checks dtypes before sizes (docs/SEMANTICS.md §11)
            if (a.dtype != b.dtype) {
                throw new IllegalArgumentException("matmul: dot : expected both vectors to have same dtype, but found "
                        + scalarTypeName(a.dtype) + " and " + scalarTypeName(b.dtype) + " (input shapes "
                        + Shape.str(a.shape) + " and " + Shape.str(b.shape) + ")");
            }
            if (a.shape[0] != b.shape[0]) {
                throw new IllegalArgumentException("matmul: inconsistent tensor size, expected tensor [" + a.shape[0]
                        + "] and src [" + b.shape[0] + "] to have the same number of elements, but got "
                        + a.shape[0] + " and " + b.shape[0] + " elements respectively");
            }
            return batched(a.unsqueeze(0), b.unsqueeze(1)).reshape();
        }
        if (da == 1) {
            return batched(a.unsqueeze(0), b).squeeze(-2);
        }
        if (db == 1) {
            return batched(a, b.unsqueeze(1)).squeeze(-1);
        }
        if (db == 2 && da > 2) {
            // fold batch dims into rows: one large GEMM instead of many small ones
            int k = a.shape[da - 1];
            // counted from the dims, not numel / k, which is 0 for any k = 0 product whatever the rows
            int rows = Shape.numel(java.util.Arrays.copyOf(a.shape, da - 1));
            if (ShapeOps.viewStrides(a.shape, a.stride, new int[] {rows, k}) != null) {
                checkInner(a, b);
                int[] outShape = a.shape.clone();
                outShape[da - 1] = b.shape[1];
                return batched(a.reshape(rows, k), b).reshape(outShape);
            }
        }
        return batched(a, b);
    }

    private static void checkInner(Tensor a, Tensor b) {
        int k1 = a.shape[a.shape.length - 1];
        int k2 = b.shape[b.shape.length - 2];
        if (k1 != k2) {
            throw new IllegalArgumentException("matmul: mat1 and mat2 shapes cannot be multiplied ("
                    + a.shape[a.shape.length - 2] + "x" + k1 + " and " + k2 + "x" + b.shape[b.shape.length - 1]
                    + ") (input shapes " + Shape.str(a.shape) + " and " + Shape.str(b.shape) + ")");
        }
    }

    /**
     * PyTorch's mm/bmm/mv dtype check, made after the shape checks as PyTorch makes it: no promotion, the
     * operands must share one dtype (docs/SEMANTICS.md §11). PyTorch computes a 2-D (or 1-D) left operand times
     * a batched right one transposed, {@code (bᵀ·aᵀ)ᵀ}, so its message then names b's type as the expected one.
     */
    private static void checkSameDtype(Tensor a, Tensor b) {
        if (a.dtype == b.dtype) {
            return;
        }
        boolean swapped = a.shape.length <= 2 && b.shape.length >= 3;
        throw new IllegalArgumentException("matmul: expected scalar type "
                + scalarTypeName(swapped ? b.dtype : a.dtype) + " but found " + scalarTypeName(swapped ? a.dtype : b.dtype)
                + " (input shapes " + Shape.str(a.shape) + " " + a.dtype + " and " + Shape.str(b.shape) + " " + b.dtype
                + ")");
    }

    /** PyTorch's C++ scalar type name, as its dtype errors spell it: Float, Double, Long. */
    static String scalarTypeName(DType d) {
        return switch (d) {
            case FLOAT32 -> "Float";
            case FLOAT64 -> "Double";
            case INT64 -> "Long";
            case BOOL -> "Bool";
        };
    }

    /** (…, m, k) · (…, k, n) with broadcast batch dims; both at least 2-D. */
    static Tensor batched(Tensor a, Tensor b) {
        checkInner(a, b);
        int ra = a.shape.length;
        int rb = b.shape.length;
        int m = a.shape[ra - 2];
        int k = a.shape[ra - 1];
        int n = b.shape[rb - 1];
        int[] aBatch = java.util.Arrays.copyOf(a.shape, ra - 2);
        int[] bBatch = java.util.Arrays.copyOf(b.shape, rb - 2);
        int[] batch = Shape.broadcast("matmul", aBatch, bBatch);
        checkSameDtype(a, b);
        int[] outShape = java.util.Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Shape.checked("matmul", outShape);
        // every element is written (k = 0 writes zeros), so the output may be a recycled array
        Tensor out = Tensor.uninitialized(a.dtype, outShape);
        multiplyInto(a, b, out, batch, m, k, n);
        if (Autograd.isRecording(a, b)) {
            Autograd.attach(out, ra == 2 && rb == 2 ? new MmBackward0(a, b) : new BmmBackward0(a, b));
        }
        return out;
    }

    /** A 2-D view whose transpose is contiguous (column-major storage), such as {@code w.t()}. */
    private static boolean transposedLayout(Tensor t) {
        return t.shape.length == 2 && t.shape[0] > 1 && t.shape[1] > 1 && t.stride[0] == 1
                && t.stride[1] == t.shape[0];
    }

    /** How a 2-D strided operand is passed to GEMM: transposed or not, with its leading dimension. */
    private record Operand(boolean trans, int ld) {
        /** Null when the inner two dims are not addressable as a (possibly transposed) matrix. */
        static Operand of(int rows, int cols, int sRow, int sCol) {
            if ((cols <= 1 || sCol == 1) && (rows <= 1 || sRow >= Math.max(1, cols))) {
                return new Operand(false, rows <= 1 ? Math.max(1, cols) : sRow);
            }
            if ((rows <= 1 || sRow == 1) && (cols <= 1 || sCol >= Math.max(1, rows))) {
                return new Operand(true, cols <= 1 ? Math.max(1, rows) : sCol);
            }
            return null;
        }
    }

    private static void multiplyInto(Tensor a, Tensor b, Tensor out, int[] batch, int m, int k, int n) {
        int ra = a.shape.length;
        int rb = b.shape.length;
        Operand oa = Operand.of(m, k, a.stride[ra - 2], a.stride[ra - 1]);
        if (oa == null) {
            a = a.copyDetached();
            oa = Operand.of(m, k, a.stride[ra - 2], a.stride[ra - 1]);
        }
        Operand ob = Operand.of(k, n, b.stride[rb - 2], b.stride[rb - 1]);
        if (ob == null) {
            b = b.copyDetached();
            ob = Operand.of(k, n, b.stride[rb - 2], b.stride[rb - 1]);
        }
        int[] aStr = Shape.broadcastStrides(java.util.Arrays.copyOf(a.shape, ra - 2),
                java.util.Arrays.copyOf(a.stride, ra - 2), batch);
        int[] bStr = Shape.broadcastStrides(java.util.Arrays.copyOf(b.shape, rb - 2),
                java.util.Arrays.copyOf(b.stride, rb - 2), batch);
        int nb = Shape.numel(batch);
        int[] aOffs = new int[nb];
        int[] bOffs = new int[nb];
        int[] idx = new int[batch.length];
        for (int bi = 0; bi < nb; bi++) {
            int ao = a.offset;
            int bo = b.offset;
            for (int d = 0; d < batch.length; d++) {
                ao += idx[d] * aStr[d];
                bo += idx[d] * bStr[d];
            }
            aOffs[bi] = ao;
            bOffs[bi] = bo;
            for (int d = batch.length - 1; d >= 0; d--) {
                if (++idx[d] < batch[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        final Tensor fa = a;
        final Tensor fb = b;
        final Operand fo = oa;
        final Operand fob = ob;
        final int chunks = itemsChunks(nb, m, n, k);
        Parallel.ChunkBody items = c -> {
            int lo = (int) ((long) c * nb / chunks);
            int hi = (int) ((long) (c + 1) * nb / chunks);
            for (int bi = lo; bi < hi; bi++) {
                one(fa, fb, out, fo, fob, aOffs[bi], bOffs[bi], bi * m * n, m, n, k);
            }
        };
        if (chunks > 1) {
            // many small products (attention: B·heads of T×d by d×T): one product per thread at a time beats
            // splitting each small product over the threads, whose hand-offs cost as much as the product. Inside
            // the pool each GEMM runs single-threaded, and every element of C is still one FMA chain over
            // ascending p, so the result does not depend on this split (docs/SEMANTICS.md §18)
            Parallel.forEachChunk(chunks, items);
        } else {
            for (int bi = 0; bi < nb; bi++) {
                one(fa, fb, out, fo, fob, aOffs[bi], bOffs[bi], bi * m * n, m, n, k);
            }
        }
    }

    /** Per-product work below which a batch is split over the threads by products rather than inside each. */
    private static final long ITEM_PARALLEL_WORK = 1L << 22;
    /** Products are grouped so that each chunk carries at least this many multiply-adds. */
    private static final long CHUNK_WORK = 1L << 17;

    /** The number of chunks of products, from the sizes only; 1 means "loop, letting each GEMM parallelise". */
    private static int itemsChunks(int nb, int m, int n, int k) {
        long work = (long) m * n * k;
        if (nb < 2 || work == 0 || (work >= ITEM_PARALLEL_WORK && nb < 2 * Parallel.numThreads())) {
            return 1;
        }
        long perChunk = Math.max(1, CHUNK_WORK / work);
        return (int) Math.min(nb, (nb + perChunk - 1) / perChunk);
    }

    private static void one(Tensor a, Tensor b, Tensor out, Operand oa, Operand ob, int ao, int bo, int co,
                            int m, int n, int k) {
        if (a.dtype == DType.INT64) {
            longProduct(oa.trans, ob.trans, m, n, k, a.storage.l, ao, oa.ld, b.storage.l, bo, ob.ld, out.storage.l, co);
        } else if (a.dtype == DType.FLOAT32) {
            Gemm.sgemm(oa.trans, ob.trans, m, n, k, a.storage.f, ao, oa.ld, b.storage.f, bo, ob.ld,
                    out.storage.f, co, Math.max(1, n), false);
        } else {
            Gemm.dgemm(oa.trans, ob.trans, m, n, k, a.storage.d, ao, oa.ld, b.storage.d, bo, ob.ld,
                    out.storage.d, co, Math.max(1, n), false);
        }
    }

    /**
     * An int64 product, exact with two's-complement wrap-around as PyTorch's (a plain loop: integer matmul is for
     * counting and indexing, not for throughput, and PyTorch's own CPU kernel for it is a plain loop too).
     */
    private static void longProduct(boolean ta, boolean tb, int m, int n, int k, long[] a, int ao, int lda,
                                     long[] b, int bo, int ldb, long[] c, int co) {
        int sai = ta ? 1 : lda;
        int sap = ta ? lda : 1;
        int sbp = tb ? 1 : ldb;
        int sbj = tb ? ldb : 1;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += a[ao + i * sai + p * sap] * b[bo + p * sbp + j * sbj];
                }
                c[co + i * n + j] = acc;
            }
        }
    }

    // ------------------------------------------------------------------ backward rules

    /** matmul's rule: {@code ga = g·bᵀ}, {@code gb = aᵀ·g}, summed over broadcast batch dims. */
    abstract static class MatmulRule extends Node {
        private final SavedTensor sa;
        private final SavedTensor sb;
        private final int[] aShape;
        private final int[] bShape;
        // a gradient gets its input's layout (as ATen's mm backward does): for x.matmul(w.t()) the
        // gradient of w.t() is computed as gᵀ·x, so w.grad is contiguous and no optimizer copies it
        private final boolean aT;
        private final boolean bT;

        MatmulRule(String name, boolean plain, Tensor a, Tensor b) {
            super(name, a, b);
            this.sa = needsGrad(1) ? save(a) : null;
            this.sb = needsGrad(0) ? save(b) : null;
            this.aShape = a.shape;
            this.bShape = b.shape;
            this.aT = plain && transposedLayout(a);
            this.bT = plain && transposedLayout(b);
        }

        @Override
        protected final Tensor[] backward(Tensor g) {
            Tensor ga = null;
            Tensor gb = null;
            if (needsGrad(0)) {
                Tensor bt = sb.get();
                ga = aT ? batched(bt, g.transpose(-1, -2)).transpose(-1, -2)
                        : ReduceOps.sumToShape(batched(g, bt.transpose(-1, -2)), aShape);
            }
            if (needsGrad(1)) {
                Tensor at = sa.get();
                gb = bT ? batched(g.transpose(-1, -2), at).transpose(-1, -2)
                        : ReduceOps.sumToShape(batched(at.transpose(-1, -2), g), bShape);
            }
            return new Tensor[] {ga, gb};
        }
    }

    /** Two 2-D operands. */
    static final class MmBackward0 extends MatmulRule {
        MmBackward0(Tensor a, Tensor b) {
            super("MmBackward0", true, a, b);
        }
    }

    /** Batched (or broadcast) operands. */
    static final class BmmBackward0 extends MatmulRule {
        BmmBackward0(Tensor a, Tensor b) {
            super("BmmBackward0", false, a, b);
        }
    }
}
