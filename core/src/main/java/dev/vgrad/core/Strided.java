package dev.vgrad.core;

/**
 * Iteration over strided N-d layouts: copies into contiguous buffers and the outer loop of broadcasting
 * elementwise ops. Dims are coalesced first so contiguous data is visited as one run.
 */
final class Strided {
    private Strided() {}

    /** Copies {@code src} (any strides) into a new contiguous array of the same dtype. */
    static Storage copyToContiguous(Tensor src) {
        int n = src.numel();
        Storage out = Storage.allocate(src.dtype(), n);
        copy(src.storage, src.offset, src.shapeRef(), src.strideRef(), out, 0, Shape.contiguousStrides(src.shapeRef()));
        return out;
    }

    /**
     * Element-by-element copy between two strided layouts of the same shape (dtypes may differ). Dims that are
     * contiguous with respect to each other in both layouts are merged first, so a broadcast source (an expanded
     * gradient: stride 0) becomes a few long runs of one value.
     */
    static void copy(Storage src, int srcOff, int[] shape0, int[] srcStride0, Storage dst, int dstOff,
                     int[] dstStride0) {
        int n = Shape.numel(shape0);
        if (n == 0) {
            return;
        }
        if (shape0.length == 0) {
            dst.set(dstOff, src.get(srcOff));
            return;
        }
        int[][] co = coalesce(shape0, new int[][] {srcStride0, dstStride0});
        int[] shape = co[0];
        int[] srcStride = co[1];
        int[] dstStride = co[2];
        int rank = shape.length;
        // the two innermost dims run as plain nested loops and the odometer steps once per block: a permuted view's
        // runs are short (32 floats for an attention head), and one odometer step per run cost more than the move
        int inner = shape[rank - 1];
        int sIn = srcStride[rank - 1];
        int dIn = dstStride[rank - 1];
        int runs = rank >= 2 ? shape[rank - 2] : 1;
        int sRun = rank >= 2 ? srcStride[rank - 2] : 0;
        int dRun = rank >= 2 ? dstStride[rank - 2] : 0;
        int[] idx = new int[rank];
        int so = srcOff;
        int dOff = dstOff;
        int outer = n / (inner * runs);
        boolean floats = src.f != null && dst.f != null;
        for (int o = 0; o < outer; o++) {
            if (floats) {
                copyFloatRuns(src.f, so, sIn, sRun, dst.f, dOff, dIn, dRun, inner, runs);
            } else {
                for (int i = 0, sp = so, dp = dOff; i < runs; i++, sp += sRun, dp += dRun) {
                    copyRun(src, sp, sIn, dst, dp, dIn, inner);
                }
            }
            for (int d = rank - 3; d >= 0; d--) {
                idx[d]++;
                so += srcStride[d];
                dOff += dstStride[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                so -= srcStride[d] * shape[d];
                dOff -= dstStride[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /** {@code runs} float runs of {@code n} elements, run i at {@code so + i·sRun} / {@code dOff + i·dRun}. */
    private static void copyFloatRuns(float[] src, int so, int ss, int sRun, float[] dst, int dOff, int ds, int dRun,
                                      int n, int runs) {
        for (int r = 0; r < runs; r++, so += sRun, dOff += dRun) {
            if (ss == 1 && ds == 1) {
                System.arraycopy(src, so, dst, dOff, n);
            } else if (ss == 0 && ds == 1) {
                java.util.Arrays.fill(dst, dOff, dOff + n, src[so]);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[dOff + i * ds] = src[so + i * ss];
                }
            }
        }
    }

    /** One run of every dtype pair but float to float ({@link #copyFloatRuns}). */
    private static void copyRun(Storage src, int so, int ss, Storage dst, int dOff, int ds, int n) {
        if (src.d != null && dst.d != null) {
            if (ss == 1 && ds == 1) {
                System.arraycopy(src.d, so, dst.d, dOff, n);
            } else {
                for (int i = 0; i < n; i++) {
                    dst.d[dOff + i * ds] = src.d[so + i * ss];
                }
            }
        } else if (src.l != null && dst.l != null && (src.bool || !dst.bool)) {
            // int64 into bool goes through set(), which maps nonzero to 1
            for (int i = 0; i < n; i++) {
                dst.l[dOff + i * ds] = src.l[so + i * ss];
            }
        } else if (src.l != null && dst.f != null) {
            // one rounding, long straight to float, as C++'s static_cast<float>(int64_t) in PyTorch's casts
            // (through double, a long above 2^53 could round twice)
            for (int i = 0; i < n; i++) {
                dst.f[dOff + i * ds] = (float) src.l[so + i * ss];
            }
        } else if (dst.bool && src.f != null) {
            // a comparison's 0/1 float result (or any float tensor) stored as bool: nonzero and NaN are true
            for (int i = 0; i < n; i++) {
                dst.l[dOff + i * ds] = src.f[so + i * ss] != 0 ? 1 : 0;
            }
        } else if (dst.bool && src.d != null) {
            for (int i = 0; i < n; i++) {
                dst.l[dOff + i * ds] = src.d[so + i * ss] != 0 ? 1 : 0;
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst.set(dOff + i * ds, src.get(so + i * ss));
            }
        }
    }

    /**
     * Outer-loop driver for an op over {@code k} operands broadcast to {@code shape}. The innermost dim is
     * handed to {@code body} as one run; operand offsets advance by their strides.
     */
    interface RunBody {
        void run(int[] offsets, int outOffset, int n);
    }

    static void forEachRun(int[] shape, int[][] strides, int[] offsets, RunBody body) {
        int rank = shape.length;
        int n = Shape.numel(shape);
        if (n == 0) {
            return;
        }
        int k = strides.length;
        if (rank == 0) {
            body.run(offsets.clone(), 0, 1);
            return;
        }
        int inner = shape[rank - 1];
        int outer = n / inner;
        int[] idx = new int[rank];
        int[] off = offsets.clone();
        int[] cur = new int[k];
        for (int o = 0; o < outer; o++) {
            System.arraycopy(off, 0, cur, 0, k);
            body.run(cur, o * inner, inner);
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                for (int j = 0; j < k; j++) {
                    off[j] += strides[j][d];
                }
                if (idx[d] < shape[d]) {
                    break;
                }
                for (int j = 0; j < k; j++) {
                    off[j] -= strides[j][d] * shape[d];
                }
                idx[d] = 0;
            }
        }
    }

    /**
     * Merges adjacent dims that are contiguous with respect to each other in every operand, so that a
     * broadcast like (64,128)+(128) runs as 64 runs of 128 and a same-shape op as one run.
     * Returns {shape, strides...} as new arrays.
     */
    static int[][] coalesce(int[] shape, int[][] strides) {
        int rank = shape.length;
        int k = strides.length;
        if (rank <= 1) {
            int[][] r = new int[k + 1][];
            r[0] = shape;
            System.arraycopy(strides, 0, r, 1, k);
            return r;
        }
        int[] s = new int[rank];
        int[][] st = new int[k][rank];
        int m = 0;
        s[0] = shape[0];
        for (int j = 0; j < k; j++) {
            st[j][0] = strides[j][0];
        }
        for (int d = 1; d < rank; d++) {
            boolean merge = true;
            for (int j = 0; j < k; j++) {
                if (st[j][m] != strides[j][d] * shape[d]) {
                    merge = false;
                    break;
                }
            }
            if (shape[d] == 1) {
                continue;
            }
            if (s[m] == 1) {
                merge = false;
                s[m] = shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][m] = strides[j][d];
                }
                continue;
            }
            if (merge) {
                s[m] *= shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][m] = strides[j][d];
                }
            } else {
                m++;
                s[m] = shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][m] = strides[j][d];
                }
            }
        }
        int[][] r = new int[k + 1][];
        r[0] = java.util.Arrays.copyOf(s, m + 1);
        for (int j = 0; j < k; j++) {
            r[j + 1] = java.util.Arrays.copyOf(st[j], m + 1);
        }
        return r;
    }
}
