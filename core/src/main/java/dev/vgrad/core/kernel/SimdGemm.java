package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API SGEMM (BLIS loop order). Arguments are validated by {@link Gemm}.
 *
 * <pre>
 * for jc in N by NC:                      // column block
 *   for pc in K by KC:                    // K block; B(pc:pc+KC, jc:jc+NC) packed once into NR-wide panels
 *     parallel for task in (M blocks) x (N groups):   // fixed decomposition from the sizes only
 *       pack A(ic:ic+MC, pc:pc+KC) into MR-tall panels (per thread)
 *       for jr in the task's NR panels: for ir in MR panels: micro-kernel MR x NR
 * </pre>
 *
 * The micro-kernel keeps an {@code MR×NR = 8×(2·VL)} tile of C in 16 vector registers and runs
 * {@code c = broadcast(a).fma(b, c)} over the K block. It starts from the current value of C (or zero
 * for the first K block when not accumulating), so every element of C is one FMA chain over
 * {@code p = 0..k-1} in ascending order, whatever the task split: results are bit-identical for any thread
 * count. Packing zero-pads edge panels so the hot loop never masks; edge tiles go through a small buffer.
 * Transposed operands are handled while packing. Products with {@code m, n, k <= 64} use a direct kernel
 * without packing or threads.
 */
final class SimdGemm {
    private SimdGemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    static final int MR = 8;
    static final int NR = 2 * V;
    static final int KC = 256;
    private static final int MC_MAX = 96;
    private static final int NC = 1024;
    private static final int SMALL = 64;
    /** Multiply-adds below which everything runs on the caller thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 21;

    /** Per-thread scratch. {@code b} is only used by the calling thread of an sgemm. */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];
        float[] small = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        if (m <= SMALL && n <= SMALL && k <= SMALL) {
            small(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        boolean par = (long) m * n * k >= PARALLEL_MIN_WORK;
        // M blocking (depends only on m)
        int mBlocks = (m + MC_MAX - 1) / MC_MAX;
        if (par && (mBlocks & 1) == 1 && m >= 2 * MR) {
            mBlocks++;
        }
        int mc = roundUp((m + mBlocks - 1) / mBlocks, MR);
        mBlocks = (m + mc - 1) / mc;
        Scratch scratch = SCRATCH.get();
        for (int jc = 0; jc < n; jc += NC) {
            final int nc = Math.min(NC, n - jc);
            final int panels = (nc + NR - 1) / NR;
            final int nGroups = (!par || mBlocks >= 2) ? 1 : Math.min(2, panels);
            final int panelsPerGroup = (panels + nGroups - 1) / nGroups;
            int needB = panels * NR * KC;
            if (scratch.b.length < needB) {
                scratch.b = new float[needB];
            }
            final float[] bp = scratch.b;
            final int jc0 = jc;
            for (int pc = 0; pc < k; pc += KC) {
                final int kc = Math.min(KC, k - pc);
                final int pc0 = pc;
                final boolean load = accumulate || pc > 0;
                // pack B
                final int packChunks = par ? Math.min(panels, 2) : 1;
                if (packChunks == 1) {
                    packB(transB, b, bOff, ldb, pc0, kc, jc0, nc, 0, panels, bp);
                } else {
                    final int per = (panels + packChunks - 1) / packChunks;
                    Parallel.forEachChunk(packChunks, ch -> {
                        int p0 = ch * per;
                        int p1 = Math.min(panels, p0 + per);
                        if (p0 < p1) {
                            packB(transB, b, bOff, ldb, pc0, kc, jc0, nc, p0, p1, bp);
                        }
                    });
                }
                final int fmc = mc;
                final int fmBlocks = mBlocks;
                int tasks = mBlocks * nGroups;
                Parallel.ChunkBody body = t -> {
                    int mb = t % fmBlocks;
                    int ng = t / fmBlocks;
                    int i0 = mb * fmc;
                    int mcur = Math.min(fmc, m - i0);
                    int pp0 = ng * panelsPerGroup;
                    int pp1 = Math.min(panels, pp0 + panelsPerGroup);
                    if (pp0 >= pp1) {
                        return;
                    }
                    Scratch s = SCRATCH.get();
                    int mPanels = (mcur + MR - 1) / MR;
                    int needA = mPanels * MR * kc;
                    if (s.a.length < needA) {
                        s.a = new float[Math.max(needA, roundUp(MC_MAX, MR) * KC)];
                    }
                    float[] ap = s.a;
                    packA(transA, a, aOff, lda, i0, mcur, pc0, kc, ap);
                    for (int jp = pp0; jp < pp1; jp++) {
                        int j = jp * NR;
                        int nr = Math.min(NR, nc - j);
                        int bIdx = jp * NR * kc;
                        for (int ip = 0; ip < mPanels; ip++) {
                            int ii = ip * MR;
                            int mr = Math.min(MR, mcur - ii);
                            int cIdx = cOff + (i0 + ii) * ldc + jc0 + j;
                            if (mr == MR && nr == NR) {
                                kernel(kc, ap, ip * MR * kc, bp, bIdx, c, cIdx, ldc, load);
                            } else {
                                float[] tile = s.tile;
                                if (load) {
                                    for (int r = 0; r < MR; r++) {
                                        for (int q = 0; q < NR; q++) {
                                            tile[r * NR + q] = (r < mr && q < nr) ? c[cIdx + r * ldc + q] : 0f;
                                        }
                                    }
                                }
                                kernel(kc, ap, ip * MR * kc, bp, bIdx, tile, 0, NR, load);
                                for (int r = 0; r < mr; r++) {
                                    System.arraycopy(tile, r * NR, c, cIdx + r * ldc, nr);
                                }
                            }
                        }
                    }
                };
                if (tasks == 1) {
                    body.run(0);
                } else {
                    Parallel.forEachChunk(tasks, body);
                }
            }
        }
    }

    private static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }

    /** Packs rows {@code i0..i0+mc} × cols {@code p0..p0+kc} of op(A) into MR-tall panels ({@code kc×MR} each). */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                              float[] ap) {
        int d = 0;
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            if (!transA) {
                if (mr == MR) {
                    int s0 = aOff + (i0 + ir) * lda + p0;
                    int s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda;
                    int s4 = s3 + lda, s5 = s4 + lda, s6 = s5 + lda, s7 = s6 + lda;
                    for (int p = 0; p < kc; p++) {
                        ap[d] = a[s0 + p];
                        ap[d + 1] = a[s1 + p];
                        ap[d + 2] = a[s2 + p];
                        ap[d + 3] = a[s3 + p];
                        ap[d + 4] = a[s4 + p];
                        ap[d + 5] = a[s5 + p];
                        ap[d + 6] = a[s6 + p];
                        ap[d + 7] = a[s7 + p];
                        d += MR;
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        for (int r = 0; r < MR; r++) {
                            ap[d + r] = r < mr ? a[aOff + (i0 + ir + r) * lda + p0 + p] : 0f;
                        }
                        d += MR;
                    }
                }
            } else {
                int src = aOff + p0 * lda + i0 + ir;
                if (mr == MR) {
                    for (int p = 0; p < kc; p++) {
                        int s = src + p * lda;
                        ap[d] = a[s];
                        ap[d + 1] = a[s + 1];
                        ap[d + 2] = a[s + 2];
                        ap[d + 3] = a[s + 3];
                        ap[d + 4] = a[s + 4];
                        ap[d + 5] = a[s + 5];
                        ap[d + 6] = a[s + 6];
                        ap[d + 7] = a[s + 7];
                        d += MR;
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        int s = src + p * lda;
                        for (int r = 0; r < MR; r++) {
                            ap[d + r] = r < mr ? a[s + r] : 0f;
                        }
                        d += MR;
                    }
                }
            }
        }
    }

    /**
     * Packs NR-wide panels {@code [panel0, panel1)} of op(B) rows {@code p0..p0+kc}, columns {@code j0..j0+nc}
     * into {@code bp} (panel {@code q} at {@code q*NR*kc}, {@code kc×NR} each, zero-padded).
     */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                              int panel0, int panel1, float[] bp) {
        for (int q = panel0; q < panel1; q++) {
            int jr = q * NR;
            int nr = Math.min(NR, nc - jr);
            int d = q * NR * kc;
            if (!transB) {
                int src = bOff + p0 * ldb + j0 + jr;
                if (nr == NR) {
                    for (int p = 0; p < kc; p++) {
                        int s = src + p * ldb;
                        FloatVector.fromArray(S, b, s).intoArray(bp, d);
                        FloatVector.fromArray(S, b, s + V).intoArray(bp, d + V);
                        d += NR;
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        int s = src + p * ldb;
                        for (int j = 0; j < NR; j++) {
                            bp[d + j] = j < nr ? b[s + j] : 0f;
                        }
                        d += NR;
                    }
                }
            } else {
                for (int j = 0; j < nr; j++) {
                    int s = bOff + (j0 + jr + j) * ldb + p0;
                    int dd = d + j;
                    for (int p = 0; p < kc; p++) {
                        bp[dd + p * NR] = b[s + p];
                    }
                }
                for (int j = nr; j < NR; j++) {
                    for (int p = 0; p < kc; p++) {
                        bp[d + j + p * NR] = 0f;
                    }
                }
            }
        }
    }

    /** C tile (MR×NR at c[cIdx], row stride ldc) = (load ? C : 0) + Apanel·Bpanel over kc. */
    private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int cIdx, int ldc,
                               boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            int r = cIdx;
            c00 = FloatVector.fromArray(S, c, r);
            c01 = FloatVector.fromArray(S, c, r + V);
            r += ldc;
            c10 = FloatVector.fromArray(S, c, r);
            c11 = FloatVector.fromArray(S, c, r + V);
            r += ldc;
            c20 = FloatVector.fromArray(S, c, r);
            c21 = FloatVector.fromArray(S, c, r + V);
            r += ldc;
            c30 = FloatVector.fromArray(S, c, r);
            c31 = FloatVector.fromArray(S, c, r + V);
            r += ldc;
            c40 = FloatVector.fromArray(S, c, r);
            c41 = FloatVector.fromArray(S, c, r + V);
            r += ldc;
            c50 = FloatVector.fromArray(S, c, r);
            c51 = FloatVector.fromArray(S, c, r + V);
            r += ldc;
            c60 = FloatVector.fromArray(S, c, r);
            c61 = FloatVector.fromArray(S, c, r + V);
            r += ldc;
            c70 = FloatVector.fromArray(S, c, r);
            c71 = FloatVector.fromArray(S, c, r + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector av;
            av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
            ai += MR;
            bi += NR;
        }
        int r = cIdx;
        c00.intoArray(c, r);
        c01.intoArray(c, r + V);
        r += ldc;
        c10.intoArray(c, r);
        c11.intoArray(c, r + V);
        r += ldc;
        c20.intoArray(c, r);
        c21.intoArray(c, r + V);
        r += ldc;
        c30.intoArray(c, r);
        c31.intoArray(c, r + V);
        r += ldc;
        c40.intoArray(c, r);
        c41.intoArray(c, r + V);
        r += ldc;
        c50.intoArray(c, r);
        c51.intoArray(c, r + V);
        r += ldc;
        c60.intoArray(c, r);
        c61.intoArray(c, r + V);
        r += ldc;
        c70.intoArray(c, r);
        c71.intoArray(c, r + V);
    }

    /**
     * Direct kernel for small products (m, n, k ≤ 64): no packing of A, no threads. A transposed B is copied
     * into a k×n scratch block; four rows of C are computed at once (four independent FMA chains per
     * column vector), column tails use masks.
     */
    private static void small(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        float[] bs = b;
        int bBase = bOff;
        int bStride = ldb;
        if (transB) {
            Scratch s = SCRATCH.get();
            if (s.small.length < k * n) {
                s.small = new float[SMALL * SMALL];
            }
            bs = s.small;
            for (int j = 0; j < n; j++) {
                int src = bOff + j * ldb;
                for (int p = 0; p < k; p++) {
                    bs[p * n + j] = b[src + p];
                }
            }
            bBase = 0;
            bStride = n;
        }
        // lda step in p and i for element (i,p)
        int aRowStep = transA ? 1 : lda;
        int aColStep = transA ? lda : 1;
        for (int j = 0; j < n; j += V) {
            VectorMask<Float> mask = S.indexInRange(j, n);
            boolean full = j + V <= n;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int c0 = cOff + i * ldc + j;
                int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
                FloatVector acc0, acc1, acc2, acc3;
                if (accumulate) {
                    acc0 = full ? FloatVector.fromArray(S, c, c0) : FloatVector.fromArray(S, c, c0, mask);
                    acc1 = full ? FloatVector.fromArray(S, c, c1) : FloatVector.fromArray(S, c, c1, mask);
                    acc2 = full ? FloatVector.fromArray(S, c, c2) : FloatVector.fromArray(S, c, c2, mask);
                    acc3 = full ? FloatVector.fromArray(S, c, c3) : FloatVector.fromArray(S, c, c3, mask);
                } else {
                    acc0 = FloatVector.zero(S);
                    acc1 = acc0;
                    acc2 = acc0;
                    acc3 = acc0;
                }
                int a0 = aOff + i * aRowStep;
                int a1 = a0 + aRowStep, a2 = a1 + aRowStep, a3 = a2 + aRowStep;
                for (int p = 0; p < k; p++) {
                    int bi = bBase + p * bStride + j;
                    FloatVector bv = full ? FloatVector.fromArray(S, bs, bi) : FloatVector.fromArray(S, bs, bi, mask);
                    int ao = p * aColStep;
                    acc0 = FloatVector.broadcast(S, a[a0 + ao]).fma(bv, acc0);
                    acc1 = FloatVector.broadcast(S, a[a1 + ao]).fma(bv, acc1);
                    acc2 = FloatVector.broadcast(S, a[a2 + ao]).fma(bv, acc2);
                    acc3 = FloatVector.broadcast(S, a[a3 + ao]).fma(bv, acc3);
                }
                if (full) {
                    acc0.intoArray(c, c0);
                    acc1.intoArray(c, c1);
                    acc2.intoArray(c, c2);
                    acc3.intoArray(c, c3);
                } else {
                    acc0.intoArray(c, c0, mask);
                    acc1.intoArray(c, c1, mask);
                    acc2.intoArray(c, c2, mask);
                    acc3.intoArray(c, c3, mask);
                }
            }
            for (; i < m; i++) {
                int c0 = cOff + i * ldc + j;
                FloatVector acc0;
                if (accumulate) {
                    acc0 = full ? FloatVector.fromArray(S, c, c0) : FloatVector.fromArray(S, c, c0, mask);
                } else {
                    acc0 = FloatVector.zero(S);
                }
                int a0 = aOff + i * aRowStep;
                for (int p = 0; p < k; p++) {
                    int bi = bBase + p * bStride + j;
                    FloatVector bv = full ? FloatVector.fromArray(S, bs, bi) : FloatVector.fromArray(S, bs, bi, mask);
                    acc0 = FloatVector.broadcast(S, a[a0 + p * aColStep]).fma(bv, acc0);
                }
                if (full) {
                    acc0.intoArray(c, c0);
                } else {
                    acc0.intoArray(c, c0, mask);
                }
            }
        }
    }
}
