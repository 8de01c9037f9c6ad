package dev.vgrad.core.kernel;

import java.util.Arrays;

/**
 * Blocked scalar GEMM (float and double), used when the Vector API is off and for all float64 work.
 *
 * <p>Loop order per row block: column block → K block → row → k → column. In float, each B block is first copied
 * a row per array and each C row is summed in a row of its own, so the innermost loop is
 * {@code acc[j] = fma(a, bRow[j], acc[j])} over two arrays indexed from 0, which C2 auto-vectorises (it cannot
 * prove that offsets into two float[] parameters never overlap, and leaves such a loop scalar). Float64 reads B
 * in place, a transposed B block packed first; a transposed A is read with a stride (one load per inner loop).
 * Every element of C is summed over {@code p = 0..k-1} in ascending order regardless of blocking or the
 * row split, so results are bit-identical for any thread count. In float every step is one fused multiply-add
 * ({@code c = fma(a, b, c)}), the same chain the Vector API kernel computes, so the two float paths are
 * bit-identical too.
 */
final class ScalarGemm {
    private ScalarGemm() {}

    private static final int KB = 256;
    private static final int NB = 512;
    private static final int ROWS = 32;
    /** Matrix-vector products with at least this many multiply-adds are split over the pool. */
    private static final long MATVEC_PARALLEL_MIN_WORK = 1L << 20;
    /** Products narrower than this (and taller than wide) are computed transposed. */
    private static final int NARROW = 16;
    /** Products with fewer multiply-adds than this run on the caller thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 20;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final ThreadLocal<double[]> DBUF = ThreadLocal.withInitial(() -> new double[0]);

    static int chunksFor(int m, int n, int k) {
        long work = (long) m * n * k;
        return work < PARALLEL_MIN_WORK ? 1 : (m + ROWS - 1) / ROWS;
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        if (n < NARROW && m > n) {
            sgemmTransposed(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        int nChunks = chunksFor(m, n, k);
        if (nChunks == 1) {
            sgemmRows(transA, transB, 0, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        Parallel.forEachChunk(nChunks, ch -> {
            int i0 = ch * ROWS;
            int i1 = Math.min(m, i0 + ROWS);
            sgemmRows(transA, transB, i0, i1, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        });
    }

    /**
     * Whether {@link #matVec} is the faster route for this product even against the SIMD kernels: every product
     * with one column, and those with one row and fewer than 128 columns unless the SIMD kernel's direct path
     * takes them with B untransposed (measured at one thread over m, n ∈ {1, 16, 100, 1000}, k ∈ {16, 256,
     * 1000}, all four layouts: 0.17–0.62× the SIMD time with one column; with one row 0.20–1.04× where chosen,
     * and 1.1–2.9× where not).
     *
     * @param simd whether the SIMD GEMM is the alternative (otherwise the blocked scalar kernel, for which one row
     *             of 128 columns or more also stays on the blocked kernel)
     */
    static boolean prefersMatVec(boolean simd, boolean transB, int m, int n, int k) {
        if (n == 1) {
            return true;
        }
        return m == 1 && n < 128 && (!simd || transB || !SimdGemm.direct(m, n, k));
    }

    /**
     * A product with one row or one column of C ({@code m == 1 || n == 1}): every element of C is
     * {@code init + Σ_p M[r·rs + p·ps]·x[p]} over ascending p, where the vector x (op(A)'s row or op(B)'s column)
     * is gathered first and M is the other operand read in place. Eight elements of C are summed side by side in
     * scalar registers, so their eight fma chains overlap instead of each waiting out the fma latency, and
     * nothing is packed. The chains are the GEMM's, so the bits are too.
     */
    static void matVec(boolean transA, boolean transB, int m, int n, int k,
                       float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        float[] x = SCRATCH.get().vector(k);
        if (n == 1) {
            for (int p = 0; p < k; p++) {
                x[p] = b[bOff + (transB ? p : p * ldb)];
            }
            matVecSplit(a, aOff, transA ? 1 : lda, transA ? lda : 1, x, k, m, c, cOff, ldc, accumulate);
        } else {
            for (int p = 0; p < k; p++) {
                x[p] = a[aOff + (transA ? p * lda : p)];
            }
            matVecSplit(b, bOff, transB ? ldb : 1, transB ? 1 : ldb, x, k, n, c, cOff, 1, accumulate);
        }
    }

    /** {@code c[cOff + r·cStride] (+)= Σ_p mat[off + r·rs + p·ps]·x[p]} for r < count, over the pool when large. */
    private static void matVecSplit(float[] mat, int off, int rs, int ps, float[] x, int k, int count, float[] c,
                                    int cOff, int cStride, boolean accumulate) {
        if ((long) count * k >= MATVEC_PARALLEL_MIN_WORK && count >= 16) {
            // fixed groups of 8 elements, so the split never changes an element's chain
            int groups = (count + 7) / 8;
            int parts = Math.min(Parallel.numThreads(), groups);
            Parallel.forEachChunk(parts, t -> {
                int r0 = (int) ((long) t * groups / parts) * 8;
                int r1 = Math.min(count, (int) ((long) (t + 1) * groups / parts) * 8);
                matVecRows(mat, off, rs, ps, x, k, r0, r1, c, cOff, cStride, accumulate);
            });
        } else {
            matVecRows(mat, off, rs, ps, x, k, 0, count, c, cOff, cStride, accumulate);
        }
    }

    private static void matVecRows(float[] mat, int off, int rs, int ps, float[] x, int k, int r0, int r1,
                                   float[] c, int cOff, int cStride, boolean accumulate) {
        int r = r0;
        for (; r + 8 <= r1; r += 8) {
            dot8(mat, off + r * rs, rs, ps, x, k, c, cOff + r * cStride, cStride, accumulate);
        }
        for (; r < r1; r++) {
            int ci = cOff + r * cStride;
            float acc = accumulate ? c[ci] : 0f;
            int mi = off + r * rs;
            for (int p = 0; p < k; p++) {
                acc = Math.fma(mat[mi + p * ps], x[p], acc);
            }
            c[ci] = acc;
        }
    }

    private static void dot8(float[] mat, int mi, int rs, int ps, float[] x, int k, float[] c, int ci, int cs,
                             boolean accumulate) {
        float c0 = 0f;
        float c1 = 0f;
        float c2 = 0f;
        float c3 = 0f;
        float c4 = 0f;
        float c5 = 0f;
        float c6 = 0f;
        float c7 = 0f;
        if (accumulate) {
            c0 = c[ci];
            c1 = c[ci + cs];
            c2 = c[ci + 2 * cs];
            c3 = c[ci + 3 * cs];
            c4 = c[ci + 4 * cs];
            c5 = c[ci + 5 * cs];
            c6 = c[ci + 6 * cs];
            c7 = c[ci + 7 * cs];
        }
        for (int p = 0, q = mi; p < k; p++, q += ps) {
            float xp = x[p];
            c0 = Math.fma(mat[q], xp, c0);
            c1 = Math.fma(mat[q + rs], xp, c1);
            c2 = Math.fma(mat[q + 2 * rs], xp, c2);
            c3 = Math.fma(mat[q + 3 * rs], xp, c3);
            c4 = Math.fma(mat[q + 4 * rs], xp, c4);
            c5 = Math.fma(mat[q + 5 * rs], xp, c5);
            c6 = Math.fma(mat[q + 6 * rs], xp, c6);
            c7 = Math.fma(mat[q + 7 * rs], xp, c7);
        }
        c[ci] = c0;
        c[ci + cs] = c1;
        c[ci + 2 * cs] = c2;
        c[ci + 3 * cs] = c3;
        c[ci + 4 * cs] = c4;
        c[ci + 5 * cs] = c5;
        c[ci + 6 * cs] = c6;
        c[ci + 7 * cs] = c7;
    }

    /**
     * A product with only a few columns (a classifier's logits, a first layer's weight gradient) computed as
     * {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}, so the vectorised inner loop runs along the m rows instead of the n columns.
     * Each element is the same chain, since {@code fma(a, b, c) == fma(b, a, c)}.
     */
    private static void sgemmTransposed(boolean transA, boolean transB, int m, int n, int k,
                                        float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                        float[] c, int cOff, int ldc, boolean accumulate) {
        float[] t = SCRATCH.get().transposed(n * m);
        if (accumulate) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    t[j * m + i] = c[cOff + i * ldc + j];
                }
            }
        }
        sgemm(!transB, !transA, n, m, k, b, bOff, ldb, a, aOff, lda, t, 0, m, accumulate);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c[cOff + i * ldc + j] = t[j * m + i];
            }
        }
    }

    private static void sgemmRows(boolean transA, boolean transB, int i0, int i1, int n, int k,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc, boolean accumulate) {
        Scratch s = SCRATCH.get();
        int aStepP = transA ? lda : 1;
        int aStepI = transA ? 1 : lda;
        for (int jc = 0; jc < n; jc += NB) {
            int nb = Math.min(NB, n - jc);
            for (int pc = 0; pc < k; pc += KB) {
                int kb = Math.min(KB, k - pc);
                float[][] rows = s.rows(kb, nb);
                float[] acc = s.acc();
                // Each row of the B block gets an array of its own: the inner loop below then indexes two arrays
                // from 0, which C2 vectorises; with offsets into possibly the same array it stays scalar (4-7x
                // slower at the 100-300-wide products of small programs).
                if (transB) {
                    for (int j = 0; j < nb; j++) {
                        int src = bOff + (jc + j) * ldb + pc;
                        for (int p = 0; p < kb; p++) {
                            rows[p][j] = b[src + p];
                        }
                    }
                } else {
                    for (int p = 0; p < kb; p++) {
                        System.arraycopy(b, bOff + (pc + p) * ldb + jc, rows[p], 0, nb);
                    }
                }
                rowsTimesBlock(a, aOff + pc * aStepP + i0 * aStepI, aStepP, aStepI, i1 - i0, rows, kb, acc, nb,
                        c, cOff + i0 * ldc + jc, ldc, pc == 0 && !accumulate);
            }
        }
    }

    /**
     * {@code acc[j] = fma(a, bRow[j], acc[j])} for {@code j < nb}. A method of its own, though C2 inlines it: with
     * this loop written inline in {@link #rowsTimesBlock}, C2's recompilations of that routine (once a second
     * layout or a second K block had been seen) stopped vectorising it, 960-1000 µs for a 300×100×100 product on
     * one thread against 235-263 µs.
     */
    private static void axpyRow(float a, float[] bRow, float[] acc, int nb) {
        for (int j = 0; j < nb; j++) {
            acc[j] = Math.fma(a, bRow[j], acc[j]);
        }
    }

    /**
     * Adds {@code A[i, 0..kb)·block} to C's rows {@code i = 0..count)}, columns {@code 0..nb)}: the fma chain of
     * every element over ascending p, started from 0 when {@code fromZero} and from C otherwise.
     */
    private static void rowsTimesBlock(float[] a, int aIdx, int aStepP, int aStepI, int count, float[][] rows, int kb,
                                       float[] acc, int nb, float[] c, int cIdx, int ldc, boolean fromZero) {
        for (int i = 0; i < count; i++) {
            int cRow = cIdx + i * ldc;
            if (fromZero) {
                Arrays.fill(acc, 0, nb, 0f);
            } else {
                System.arraycopy(c, cRow, acc, 0, nb);
            }
            int ai = aIdx + i * aStepI;
            for (int p = 0; p < kb; p++) {
                axpyRow(a[ai + p * aStepP], rows[p], acc, nb);
            }
            System.arraycopy(acc, 0, c, cRow, nb);
        }
    }

    /** A thread's copy of one B block (a row per array), the C row being summed, and a transposed C. */
    private static final class Scratch {
        private float[][] rows = new float[0][];
        private float[] acc = new float[0];
        private float[] transposed = new float[0];
        private float[] vector = new float[0];

        /** Rows for a {@code count×n} block; {@link #acc} then holds at least n floats. */
        float[][] rows(int count, int n) {
            if (rows.length < count || acc.length < n) {
                // With the usual 16-byte array header, 16 + 4·width bytes is a multiple of 64, so rows allocated one
                // after another (and the accumulator after them) start at the same offset within a cache line:
                // vector loads from a row then split no more lines than the accumulator's stores (a misaligned
                // pair ran 1.7-2x slower).
                int width = Math.max(acc.length, ((n + 4 + 15) / 16) * 16 - 4);
                float[][] grown = new float[Math.max(count, rows.length)][];
                for (int p = 0; p < grown.length; p++) {
                    grown[p] = new float[width];
                }
                rows = grown;
                acc = new float[width];
            }
            return rows;
        }

        float[] acc() {
            return acc;
        }

        float[] vector(int size) {
            if (vector.length < size) {
                vector = new float[size];
            }
            return vector;
        }

        float[] transposed(int size) {
            if (transposed.length < size) {
                transposed = new float[size];
            }
            return transposed;
        }
    }

    static void dgemm(boolean transA, boolean transB, int m, int n, int k,
                      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                      double[] c, int cOff, int ldc, boolean accumulate) {
        int nChunks = chunksFor(m, n, k);
        if (nChunks == 1) {
            dgemmRows(transA, transB, 0, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        Parallel.forEachChunk(nChunks, ch -> {
            int i0 = ch * ROWS;
            int i1 = Math.min(m, i0 + ROWS);
            dgemmRows(transA, transB, i0, i1, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        });
    }

    private static void dgemmRows(boolean transA, boolean transB, int i0, int i1, int n, int k,
                                  double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                                  double[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = i0; i < i1; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
            }
        }
        double[] buf = null;
        if (transB) {
            buf = DBUF.get();
            int need = KB * Math.min(NB, n);
            if (buf.length < need) {
                buf = new double[need];
                DBUF.set(buf);
            }
        }
        for (int jc = 0; jc < n; jc += NB) {
            int nb = Math.min(NB, n - jc);
            for (int pc = 0; pc < k; pc += KB) {
                int kb = Math.min(KB, k - pc);
                double[] bs;
                int bBase;
                int bStride;
                if (transB) {
                    for (int j = 0; j < nb; j++) {
                        int src = bOff + (jc + j) * ldb + pc;
                        for (int p = 0; p < kb; p++) {
                            buf[p * nb + j] = b[src + p];
                        }
                    }
                    bs = buf;
                    bBase = 0;
                    bStride = nb;
                } else {
                    bs = b;
                    bBase = bOff + pc * ldb + jc;
                    bStride = ldb;
                }
                for (int i = i0; i < i1; i++) {
                    int cRow = cOff + i * ldc + jc;
                    for (int p = 0; p < kb; p++) {
                        double aip = transA ? a[aOff + (pc + p) * lda + i] : a[aOff + i * lda + pc + p];
                        int bRow = bBase + p * bStride;
                        for (int j = 0; j < nb; j++) {
                            c[cRow + j] += aip * bs[bRow + j];
                        }
                    }
                }
            }
        }
    }
}
