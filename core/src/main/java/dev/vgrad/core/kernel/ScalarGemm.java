package dev.vgrad.core.kernel;

import java.util.Arrays;

/**
 * Blocked scalar GEMM (float and double), used when the Vector API is off and for all float64 work.
 *
 * <p>Loop order per row block: column block → K block → row → k → column, with the innermost loop a
 * contiguous {@code c[j] += a * b[j]} that C2 auto-vectorises. A transposed B block is packed into a
 * contiguous {@code KB×NB} buffer first; a transposed A is read with a stride (one load per inner loop).
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
    /** Products with fewer multiply-adds than this run on the caller thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 20;

    private static final ThreadLocal<float[]> FBUF = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<double[]> DBUF = ThreadLocal.withInitial(() -> new double[0]);

    static int chunksFor(int m, int n, int k) {
        long work = (long) m * n * k;
        return work < PARALLEL_MIN_WORK ? 1 : (m + ROWS - 1) / ROWS;
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
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

    private static void sgemmRows(boolean transA, boolean transB, int i0, int i1, int n, int k,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc, boolean accumulate) {
        if (!accumulate) {
            for (int i = i0; i < i1; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
        }
        float[] buf = null;
        if (transB) {
            buf = FBUF.get();
            int need = KB * Math.min(NB, n);
            if (buf.length < need) {
                buf = new float[need];
                FBUF.set(buf);
            }
        }
        for (int jc = 0; jc < n; jc += NB) {
            int nb = Math.min(NB, n - jc);
            for (int pc = 0; pc < k; pc += KB) {
                int kb = Math.min(KB, k - pc);
                float[] bs;
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
                        float aip = transA ? a[aOff + (pc + p) * lda + i] : a[aOff + i * lda + pc + p];
                        int bRow = bBase + p * bStride;
                        for (int j = 0; j < nb; j++) {
                            c[cRow + j] = Math.fma(aip, bs[bRow + j], c[cRow + j]);
                        }
                    }
                }
            }
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
